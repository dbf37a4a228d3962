"""``imr_normalizer``: sets the SCHEMA attributes of each entity from its text and context.

Cue lists and vocabularies (date-role cues, guideline names, reflex names, ...) are data in
``patterns/attributes/*.jsonl``, held as ``self.tables`` and passed to each label's normalizer together
with the lookups derived from them when they are set (the date-role cue index).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from .normalize import cites, counts, dates, outcomes, reflexes
from .tables import Tables, TablesMixin

Normalizer = Callable[[Span, Tables], None]

NORMALIZERS: dict[str, Normalizer] = {
    "DATE": dates.normalize,
    "VISIT_COUNT": counts.normalize,
    "REFLEX_GRADE": reflexes.normalize,
    "GUIDELINE_CITE": cites.normalize,
    "DECISION": outcomes.normalize,
}


class IMRNormalizer(TablesMixin):
    """Calls the label's normalizer on every entity, with the tables and what is derived from them."""

    def __init__(self) -> None:
        self.tables: Tables = {}
        self.on_tables()

    def on_tables(self) -> None:
        """Derive the lookup structures once per table set (the date-role cue index)."""
        self._context: dict[str, Any] = {**self.tables, **dates.derived(self.tables)}

    def __call__(self, doc: Doc) -> Doc:
        for ent in doc.ents:
            fn = NORMALIZERS.get(ent.label_)
            if fn is not None:
                fn(ent, self._context)
        return doc


@Language.factory("imr_normalizer")
def make_normalizer(nlp: Language, name: str) -> IMRNormalizer:
    """Factory of :class:`IMRNormalizer`."""
    return IMRNormalizer()
