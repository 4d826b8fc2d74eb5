"""Errors whose message is safe to show a user: what is wrong and what to do."""

from __future__ import annotations


class JobclassError(Exception):
    """Base of every error the library raises on purpose."""


class InputError(JobclassError):
    """An input file or text is missing, unreadable or malformed."""


class DataError(JobclassError):
    """Labeled data fails validation (schema, labels, duplicates, too few rows)."""


class ModelError(JobclassError):
    """A model is missing, corrupt, untrusted or incompatible."""


class ConflictError(DataError):
    """New labeled rows contradict the existing corpus."""
