"""scripts/engine_boot.py: the engine's check of the action server's answers, on a validator
built once, still accepts Rasa's format and still rejects anything else with Rasa's message;
event types, remembered once found, resolve as Rasa's own scan resolves them."""

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
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
for _ in range(2):  # found once, then remembered: the same classes
    print("types", Event.resolve_by_type("slot") is SlotSet,
          Event.resolve_by_type("user") is UserUttered,
          Event.from_parameters({"event": "action", "name": "action_listen"})
          == ActionExecuted("action_listen"))
print("default", Event.resolve_by_type("nope", default=SlotSet) is SlotSet,
      Event.resolve_by_type("topic") is None)
try:
    Event.resolve_by_type("nope")
    print("unknown accepted")
except ValueError as error:
    print("unknown", "Unknown event name 'nope'" in str(error))
"""


def test_the_action_server_s_answers_are_still_checked_against_rasa_s_schema():
    engine_py = subprocess.run(["bash", "scripts/engine_env.sh"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    out = subprocess.run([engine_py, "-c", CHECK], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split("\n")[:4] == ["good True", "rejected True", "rejected True",
                                          "rejected True"], out.stdout + out.stderr[-2000:]


def test_event_types_are_still_resolved_as_rasa_resolves_them():
    """The remembered ``Event.resolve_by_type``: the same classes twice, the default, the old
    "topic" event and an unknown name's error, as Rasa's own scan gives them."""
    engine_py = subprocess.run(["bash", "scripts/engine_env.sh"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    out = subprocess.run([engine_py, "-c", CHECK], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split("\n")[4:8] == ["types True True True", "types True True True",
                                          "default True True", "unknown True"], (
        out.stdout + out.stderr[-2000:])
