"""Rasa's own end-to-end test stories (data/tests/) against the trained model and the running
action server: every user text must get its intent and every turn the flow action."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]


def test_rasa_test_stories_pass(bot, tmp_path):
    engine_py = subprocess.run(["bash", "scripts/engine_env.sh"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    rasa = str(Path(engine_py).parent / "rasa")
    model = subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_SERVER_URL": f"{bot.action_url}/webhook"}
    out = tmp_path / "results"
    result = subprocess.run(
        [rasa, "test", "core", "--stories", "data/tests/test_stories.yml", "--model", model,
         "--endpoints", "endpoints.yml", "--out", str(out), "--fail-on-prediction-errors"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    failed = out / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, (result.stdout[-3000:] + result.stderr[-3000:] + details)
    report = (out / "story_report.json").read_text() if (out / "story_report.json").exists() else ""
    assert "# None of the test stories failed" in details or not details.strip() or report
