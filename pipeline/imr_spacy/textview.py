"""Matching across PDF line wraps without changing the text.

PDF-extracted letters break phrases over lines and blank lines ("Degenerative cervical disk
\\n\\ndisease"); spaCy keeps such runs of whitespace as SPACE tokens, which would stop a
phrase or token pattern. ``compact_view`` builds a Doc of the non-space tokens only, so
matchers see the phrase whole, and ``to_doc_span`` maps a match back to the original Doc:
offsets always refer to the original text.
"""

from __future__ import annotations

from bisect import bisect_left

from spacy.attrs import IS_SPACE, ORTH
from spacy.tokens import Doc


class CompactView:
    """The non-space tokens of a Doc as their own Doc, with the index map back."""

    __slots__ = ("doc", "index", "view")

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        arr = doc.to_array([ORTH, IS_SPACE])  # no Token objects: linear, and light on the GC
        orths = arr[:, 0].tolist()
        index = [i for i, sp in enumerate(arr[:, 1].tolist()) if not sp]
        self.index: list[int] | None = None if len(index) == len(doc) else index
        if self.index is None:
            self.view = doc
        else:
            strings = doc.vocab.strings
            words = [strings[orths[i]] for i in index]
            self.view = Doc(doc.vocab, words=words, spaces=[True] * len(words))

    def to_doc(self, start: int, end: int) -> tuple[int, int]:
        """Token offsets in the view -> token offsets in the original Doc."""
        if self.index is None:
            return start, end
        return self.index[start], self.index[end - 1] + 1

    def to_view(self, i: int) -> int:
        """Original token index -> view index (the next non-space token for a space)."""
        if self.index is None:
            return i
        return bisect_left(self.index, i)


#: The texts of the last few Docs (each entry holds its Doc, so ids are not reused meanwhile).
_TEXTS: dict[int, tuple[Doc, str]] = {}
_TEXTS_KEPT = 4


def doc_text(doc: Doc) -> str:
    """``doc.text``, computed once for the components that read it in turn.

    spaCy joins the text from a new Token object per token on every ``doc.text``; a Doc's text
    never changes (retokenizing keeps it), so the last few are kept here.
    """
    entry = _TEXTS.get(id(doc))
    if entry is not None and entry[0] is doc:
        return entry[1]
    text = doc.text
    if len(_TEXTS) >= _TEXTS_KEPT:
        del _TEXTS[next(iter(_TEXTS))]
    _TEXTS[id(doc)] = (doc, text)
    return text


def compact_view(doc: Doc) -> CompactView:
    """Shorthand for :class:`CompactView`."""
    return CompactView(doc)
