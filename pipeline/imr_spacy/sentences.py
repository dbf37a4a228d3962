"""Sentence splitting that holds on PDF-wrapped text and clinical abbreviations."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

_ENDERS = {".", "!", "?"}


def sentence_starts(doc: Doc) -> list[int]:
    """Token indices that start a sentence (always includes 0 for a non-empty Doc)."""
    starts = [0] if len(doc) else []
    n = len(doc)
    i = 0
    while i < n:
        tok = doc[i]
        if tok.text in _ENDERS:
            j = i + 1
            while j < n and (doc[j].is_space or doc[j].text in _ENDERS or doc[j].text in {'"', "'", ")"}):
                j += 1
            if j < n:
                starts.append(j)
            i = j
            continue
        i += 1
    return starts


def set_sentences(doc: Doc) -> Doc:
    """Write sentence starts on ``doc`` (every token's ``is_sent_start`` set)."""
    starts = set(sentence_starts(doc))
    for tok in doc:
        tok.is_sent_start = tok.i in starts
    return doc


@Language.factory("imr_sentencizer")
def make_sentencizer(nlp: Language, name: str) -> IMRSentencizer:
    """Factory of :class:`IMRSentencizer`."""
    return IMRSentencizer()


class IMRSentencizer:
    """Pipeline component wrapping :func:`set_sentences`."""

    def __call__(self, doc: Doc) -> Doc:
        return set_sentences(doc)
