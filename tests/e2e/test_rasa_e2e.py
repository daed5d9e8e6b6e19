"""Rasa's own end-to-end test stories (data/tests/*.yml) with `rasa test core --e2e` against the
trained model and the running action server: every user text must get its intent and every turn
its action — the flow action, or pet_form and its rules (data/tests/test_pet_form.yml: the happy
path and the unhappy ones). A deliberately wrong story proves the check is not vacuous."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]


def _rasa_test(bot, stories: Path, out: Path) -> subprocess.CompletedProcess:
    engine_py = subprocess.run(["bash", "scripts/engine_env.sh"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    model = subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_SERVER_URL": f"{bot.action_url}/webhook"}
    return subprocess.run(
        [str(Path(engine_py).parent / "rasa"), "test", "core", "--e2e", "--stories", str(stories),
         "--model", model, "--endpoints", "endpoints.yml", "--out", str(out),
         "--fail-on-prediction-errors"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )


def _stories(path: Path) -> int:
    return len(re.findall(r"^- story: ", path.read_text(encoding="utf-8"), flags=re.M))


def test_rasa_test_stories_pass(bot, tmp_path):
    result = _rasa_test(bot, ROOT / "data/tests/test_stories.yml", tmp_path / "ok")
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    count = _stories(ROOT / "data/tests/test_stories.yml")
    assert re.search(rf"Correct:\s+{count} / {count}", log), log[-4000:]


def test_pet_form_stories_pass(bot, tmp_path):
    """The new pet's registration: happy path, FAQs answered mid-form, hand-off, emergency,
    menu, cancel, a breed and a porte not understood, two misunderstandings."""
    result = _rasa_test(bot, ROOT / "data/tests/test_pet_form.yml", tmp_path / "pet_form")
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    count = _stories(ROOT / "data/tests/test_pet_form.yml")
    assert count >= 10 and re.search(rf"Correct:\s+{count} / {count}", log), log[-4000:]


def test_rasa_test_catches_a_wrong_course_of_the_form(bot, tmp_path):
    """A story expecting the form to end on an FAQ (it resumes) fails: the form's rules are
    really what the stories check."""
    stories = (ROOT / "data/tests/test_pet_form.yml").read_text(encoding="utf-8")
    story = stories.split("- story: ")[2]  # the FAQ at the porte question
    assert story.startswith("an FAQ at the porte question")
    wrong_story = story.replace(
        "  - action: action_petbot\n  - action: pet_form\n  - active_loop: pet_form\n",
        "  - action: action_deactivate_loop\n  - active_loop: null\n  - action: action_petbot\n",
        1).split("  - intent: informar\n  - action: pet_form\n  - slot_was_set:\n"
                 "    - requested_slot: pet_pelagem")[0]
    wrong = tmp_path / "test_wrong_form.yml"
    wrong.write_text('version: "3.1"\nstories:\n- story: ' + wrong_story, encoding="utf-8")
    result = _rasa_test(bot, wrong, tmp_path / "wrong_form")
    assert result.returncode != 0
    assert "predicted: action_petbot" in result.stdout + result.stderr


def test_rasa_test_catches_a_wrong_intent(bot, tmp_path):
    wrong = tmp_path / "test_wrong.yml"
    wrong.write_text(
        'version: "3.1"\nstories:\n- story: address asked, hours expected\n  steps:\n'
        "  - user: |\n      qual o endereço?\n    intent: horario_funcionamento\n"
        "  - action: action_petbot\n"
    )
    result = _rasa_test(bot, wrong, tmp_path / "wrong")
    assert result.returncode != 0
    assert "predicted: endereco" in result.stdout + result.stderr
