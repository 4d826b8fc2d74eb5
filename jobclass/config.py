"""Where things live: the shipped corpus and models, and the user's own folder.

Every path is computed when asked, so environment overrides set by tests or users
take effect without re-importing anything.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    """The project's own labeled corpus (never written by users' retrains)."""
    return Path(os.environ.get("JOBCLASS_CORPUS", PROJECT_ROOT / "data" / "corpus"))


def shipped_models_dir() -> Path:
    """Models committed with the project; the default model lives here."""
    return Path(os.environ.get("JOBCLASS_SHIPPED_MODELS", PROJECT_ROOT / "models"))


def user_home() -> Path:
    """The user's folder for their own models, labeled data and default choice."""
    return Path(os.environ.get("JOBCLASS_HOME", Path.home() / ".jobclass"))


def user_models_dir() -> Path:
    return user_home() / "models"


def user_data_dir() -> Path:
    """Labeled rows a user added with `retrain`; included in every later retrain."""
    return user_home() / "data"
