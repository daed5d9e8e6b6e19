"""Start the Rasa engine (``rasa <args>``, in the engine's Python 3.10 env) with two measured
fixes (py-spy on ``bench/bot_turns.py``, 16 tutors):

- Rasa 3.6 checks every answer of the action server against its response schema with
  ``jsonschema.validate()``, which builds a validator and checks the schema itself again on
  each call: 60% of the engine's CPU under the bot's load (24% in
  ``RemoteAction._validate_action_result`` alone, the rest in the validator it builds), and a
  form turn makes two such calls. Here the validator is built once from the same schema; the
  check, its error and its message are Rasa's.
- ``Event.resolve_by_type``, called for every event read (the action server's answers, the
  tracker), walks all the subclasses of ``Event`` and asks ``inspect.isabstract`` of each,
  every time: 7% of the engine's CPU once the first fix was in. Here the class found for a
  type name is remembered (event classes are never removed; an unknown name is looked up as
  Rasa does).
"""

from __future__ import annotations

import sys
from typing import Any


def install() -> None:
    """Replace ``RemoteAction._validate_action_result`` with the same check on a cached
    validator."""
    from jsonschema import ValidationError, validators
    from rasa.core.actions import action

    schema = action.RemoteAction.action_response_format_spec()
    validator = validators.validator_for(schema)(schema)

    def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response "
                "from the Action endpoint is valid. For more information about the format visit "
                f"{action.DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    action.RemoteAction._validate_action_result = validate_action_result
    _remember_event_types()


def _remember_event_types() -> None:
    """``Event.resolve_by_type`` with the classes it found remembered by type name."""
    from rasa.shared.core import events

    scan = events.Event.resolve_by_type
    found: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = scan(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    events.Event.resolve_by_type = staticmethod(resolve_by_type)


if __name__ == "__main__":
    install()
    from rasa.__main__ import main

    sys.argv = ["rasa", *sys.argv[1:]]
    main()
