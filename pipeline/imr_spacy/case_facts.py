"""``imr_case_facts``: document-level facts as ``doc._.case`` (a dict of plain values)."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from .tables import Tables, TablesMixin


class IMRCaseFacts(TablesMixin):
    """Patient age and sex, injury date, UR denial date, reviewer specialty, case number."""

    def __init__(self) -> None:
        self.tables: Tables = {}

    def __call__(self, doc: Doc) -> Doc:
        doc._.case = {}
        return doc


@Language.factory("imr_case_facts")
def make_case_facts(nlp: Language, name: str) -> IMRCaseFacts:
    """Factory of :class:`IMRCaseFacts`."""
    return IMRCaseFacts()
