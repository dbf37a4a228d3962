"""``imr_decisions``: one SCHEMA decision record per disputed item, and the relations.

Stores plain offsets in ``doc._.decision_records`` / ``doc._.relation_records``; the
``doc._.decisions`` / ``doc._.relations`` getters turn them into Spans.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from .tables import Tables, TablesMixin


class IMRDecisions(TablesMixin):
    """Links each item to its outcome, guideline cites, count and rationale."""

    def __init__(self) -> None:
        self.tables: Tables = {}

    def __call__(self, doc: Doc) -> Doc:
        doc._.decision_records = []
        doc._.relation_records = []
        return doc


@Language.factory("imr_decisions")
def make_decisions(nlp: Language, name: str) -> IMRDecisions:
    """Factory of :class:`IMRDecisions`."""
    return IMRDecisions()
