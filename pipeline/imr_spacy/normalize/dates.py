"""Normalizer for one label (to be completed)."""

from __future__ import annotations

from spacy.tokens import Span

from ..tables import Tables


def normalize(span: Span, tables: Tables) -> None:
    """Set this label's attributes on ``span``."""
    return None
