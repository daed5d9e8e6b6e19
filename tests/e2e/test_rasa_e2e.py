"""Rasa's own end-to-end test stories (data/tests/test_stories.yml) with `rasa test core --e2e`
against the trained model and the running action server: every user text must get its intent
and every turn the flow action. A deliberately wrong story proves the check is not vacuous."""

from __future__ import annotations

import os
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


def test_rasa_test_stories_pass(bot, tmp_path):
    result = _rasa_test(bot, ROOT / "data/tests/test_stories.yml", tmp_path / "ok")
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert "Correct:          5 / 5" in log, log[-4000:]


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
