"""Start the Rasa engine (``rasa <args>``, in the engine's Python 3.10 env) with one measured fix.

Rasa 3.6 checks every answer of the action server against its response schema with
``jsonschema.validate()``, which builds a validator and checks the schema itself again on each
call. Under the bot's load that was 60% of the engine's CPU (py-spy on ``bench/bot_turns.py``,
16 tutors: 24% in ``RemoteAction._validate_action_result`` alone, the rest in the validator it
builds), and a form turn makes two such calls. Here the validator is built once from the same
schema; the check, its error and its message are Rasa's.
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


if __name__ == "__main__":
    install()
    from rasa.__main__ import main

    sys.argv = ["rasa", *sys.argv[1:]]
    main()
