"""scripts/engine_boot.py: the engine's check of the action server's answers, on a validator
built once, still accepts Rasa's format and still rejects anything else with Rasa's message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
sys.path.insert(0, "scripts")
import engine_boot
engine_boot.install()
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
action = RemoteAction("action_petbot", None)
good = {"events": [{"event": "slot", "name": "flow", "value": {"step": "menu"}}],
        "responses": [{"text": "Oi!", "buttons": []}]}
print("good", action._validate_action_result(good))
for bad in ({"events": "nope"}, {"events": [{"event": "slot"}]}, {"responses": [1]}):
    try:
        action._validate_action_result(bad)
        print("accepted", bad)
    except ValidationError as error:
        print("rejected", "Failed to validate Action server response" in error.message)
"""


def test_the_action_server_s_answers_are_still_checked_against_rasa_s_schema():
    engine_py = subprocess.run(["bash", "scripts/engine_env.sh"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    out = subprocess.run([engine_py, "-c", CHECK], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split("\n")[:4] == ["good True", "rejected True", "rejected True",
                                          "rejected True"], out.stdout + out.stderr[-2000:]
