"""Where the product keeps its data by default: the repository's var/ (README: var/petbot.db)."""

from __future__ import annotations

import os
from pathlib import Path

from scheduler_core.kernel import settings

REPO = Path(__file__).resolve().parents[3]


def test_the_default_data_folder_is_the_repositorys_var():
    assert (REPO / "README.md").exists() and settings.ROOT == REPO
    if "PETBOT_VAR" not in os.environ:
        assert settings.VAR == REPO / "var"
