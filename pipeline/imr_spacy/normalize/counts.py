"""Normalizer for one label (to be completed)."""

from __future__ import annotations

from spacy.tokens import Span


def normalize(span: Span) -> None:
    """Set this label's attributes on ``span``."""
    return None
