"""Rasa's own end-to-end test stories (data/tests/*.yml) with `rasa test core --e2e` against the
trained model and the running action server: every user text must get its intent and every turn
its action — the flow action, or a form and its rules (data/tests/test_tutor_form.yml,
test_pet_form.yml, test_booking_form.yml, test_appointment_forms.yml: the happy paths and the
unhappy ones). Deliberately wrong stories prove the check is not vacuous.

Each `rasa test` loads TensorFlow and the model (~40 s of CPU): the right stories run in one
invocation, the wrong ones in another, and the tests read their results."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]


def _rasa_test(bot, stories: Path, out: Path) -> subprocess.CompletedProcess:
    """``rasa test core --e2e``: every story is evaluated and the failed ones are written to the
    --out folder with what was predicted instead (``--fail-on-prediction-errors`` would stop at
    the first and say nothing of it)."""
    engine_py = subprocess.run(["bash", "scripts/engine_env.sh"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    model = subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_SERVER_URL": f"{bot.action_url}/webhook"}
    return subprocess.run(
        [str(Path(engine_py).parent / "rasa"), "test", "core", "--e2e", "--stories", str(stories),
         "--model", model, "--endpoints", "endpoints.yml", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )


def _gist(log: str) -> str:
    """The end of rasa's log without its progress bars and warnings (what failed, and why)."""
    lines = [line for line in log.splitlines()
             if "it/s" not in line and "%|" not in line and "Warning" not in line]
    return "\n".join(lines)[-4000:]


def _stories(path: Path) -> int:
    return len(re.findall(r"^- story: ", path.read_text(encoding="utf-8"), flags=re.M))


def _failed(out: Path) -> str:
    """rasa test's failed_test_stories.yml (each wrong step with "# predicted: …")."""
    path = out / "failed_test_stories.yml"
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture(scope="module")
def right_run(bot, tmp_path_factory) -> tuple[str, str]:
    """`rasa test` over every story in data/tests/ at once, every story evaluated: (its log,
    the stories it failed, with what it predicted instead)."""
    out = tmp_path_factory.mktemp("right")
    result = _rasa_test(bot, ROOT / "data/tests", out)
    log = result.stdout + result.stderr
    assert result.returncode == 0, _gist(log)
    return log, _failed(out)


def test_rasa_test_stories_pass(right_run):
    log, failed = right_run
    assert "- story:" not in failed, failed
    count = sum(_stories(p) for p in (ROOT / "data/tests").glob("*.yml"))
    assert re.search(rf"Correct:\s+{count} / {count}", log), _gist(log)


def test_pet_form_stories_are_there_and_counted():
    """The new pet's registration: happy path, FAQs answered mid-form, hand-off, emergency,
    menu, cancel, a breed and a porte not understood, two misunderstandings (all in the run
    above, which counts every story of data/tests/)."""
    assert _stories(ROOT / "data/tests/test_pet_form.yml") >= 10


def test_booking_form_stories_are_there_and_counted():
    """The booking of "Pet já Cadastrado": happy path, typed dates and another day, the
    professional and the period, FAQs answered mid-form, hand-off, emergency, menu, another
    menu action, Cancelar at the summary, two misunderstandings, another pet (pet_form)."""
    assert _stories(ROOT / "data/tests/test_booking_form.yml") >= 12


def test_tutor_form_stories_are_there_and_counted():
    """The new tutor: the name alone, the CPF typed, a wrong check digit, "Prefiro não
    informar", an FAQ answered at the CPF, hand-off, emergency, menu, two misunderstandings."""
    assert _stories(ROOT / "data/tests/test_tutor_form.yml") >= 9


def test_appointment_form_stories_are_there_and_counted():
    """"Meus agendamentos", cancelling and rescheduling: the hand-over to each form, the
    appointment named in the message, "Não" and "Cancelar", Voltar, an FAQ answered mid-form,
    another date and another time, hand-off, emergency, another menu action, two
    misunderstandings."""
    assert _stories(ROOT / "data/tests/test_appointment_forms.yml") >= 12


def _wrong_booking_story() -> str:
    """A story expecting the booking form to end on an FAQ at the slot list (it resumes)."""
    stories = (ROOT / "data/tests/test_booking_form.yml").read_text(encoding="utf-8")
    story = next(s for s in stories.split("- story: ")
                 if s.startswith("opening hours asked at the slot list"))
    resumes = "  - action: action_petbot\n  - action: booking_form\n  - active_loop: booking_form\n"
    assert resumes in story
    wrong = story.replace(resumes, "  - action: action_deactivate_loop\n  - active_loop: null\n"
                                   "  - action: action_petbot\n", 1)
    body = wrong.split("\n", 1)[1]  # without its name; cut after the FAQ
    body = body.split("  - intent: informar\n  - action: booking_form\n  - slot_was_set:\n"
                      "    - requested_slot: booking_confirmed")[0]
    return "WRONG booking course\n" + body


def _wrong_form_story() -> str:
    """A story expecting the form to end on an FAQ (it resumes)."""
    stories = (ROOT / "data/tests/test_pet_form.yml").read_text(encoding="utf-8")
    story = stories.split("- story: ")[2]  # the FAQ at the porte question
    assert story.startswith("an FAQ at the porte question")
    wrong = story.replace(
        "  - action: action_petbot\n  - action: pet_form\n  - active_loop: pet_form\n",
        "  - action: action_deactivate_loop\n  - active_loop: null\n  - action: action_petbot\n",
        1).split("  - intent: informar\n  - action: pet_form\n  - slot_was_set:\n"
                 "    - requested_slot: pet_pelagem")[0]
    return "WRONG form course\n" + wrong.split("\n", 1)[1]  # renamed: its first line


WRONG_INTENT = ("WRONG intent\n  steps:\n  - user: |\n      qual o endereço?\n"
                "    intent: horario_funcionamento\n  - action: action_petbot\n")


@pytest.fixture(scope="module")
def wrong_run(bot, tmp_path_factory) -> tuple[str, str, list[str]]:
    """`rasa test` over two wrong stories: (the failed stories file, the log, the names of the
    stories it failed)."""
    tmp = tmp_path_factory.mktemp("wrong")
    stories = tmp / "test_wrong.yml"
    stories.write_text('version: "3.1"\nstories:\n- story: ' + _wrong_form_story()
                       + "- story: " + _wrong_booking_story()
                       + "- story: " + WRONG_INTENT, encoding="utf-8")
    result = _rasa_test(bot, stories, tmp / "out")
    text = _failed(tmp / "out")
    names = [s["story"].split(" (")[0] for s in (yaml.safe_load(text) or {}).get("stories") or []]
    return text, result.stdout + result.stderr, names


def test_rasa_test_catches_a_wrong_course_of_the_form(wrong_run):
    text, log, failed = wrong_run
    assert "WRONG form course" in failed, (failed, _gist(log))
    assert "predicted: action_petbot" in text


def test_rasa_test_catches_a_wrong_course_of_the_booking_form(wrong_run):
    text, log, failed = wrong_run
    assert "WRONG booking course" in failed, (failed, _gist(log))


def test_rasa_test_catches_a_wrong_intent(wrong_run):
    text, log, failed = wrong_run
    assert "WRONG intent" in failed, (failed, _gist(log))
    assert "predicted: endereco" in text
