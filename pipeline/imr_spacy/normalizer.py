"""``imr_normalizer``: sets the SCHEMA attributes of each entity from its text and context."""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.tokens import Doc, Span

from .normalize import cites, counts, dates, outcomes, reflexes

Normalizer = Callable[[Span], None]

NORMALIZERS: dict[str, Normalizer] = {
    "DATE": dates.normalize,
    "VISIT_COUNT": counts.normalize,
    "REFLEX_GRADE": reflexes.normalize,
    "GUIDELINE_CITE": cites.normalize,
    "DECISION": outcomes.normalize,
}


class IMRNormalizer:
    """Calls the label's normalizer on every entity; a failure leaves the defaults."""

    def __call__(self, doc: Doc) -> Doc:
        for ent in doc.ents:
            fn = NORMALIZERS.get(ent.label_)
            if fn is not None:
                fn(ent)
        return doc


@Language.factory("imr_normalizer")
def make_normalizer(nlp: Language, name: str) -> IMRNormalizer:
    """Factory of :class:`IMRNormalizer`."""
    return IMRNormalizer()
