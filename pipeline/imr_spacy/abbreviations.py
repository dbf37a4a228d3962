"""``imr_abbreviations``: abbreviations a letter defines itself ("carpal tunnel syndrome (CTS)").

The Schwartz & Hearst (2003) algorithm, as in scispaCy's ``AbbreviationDetector``, but run on
the non-space tokens (so a definition broken by a PDF line wrap is found) and stored as plain
data: ``doc._.abbreviation_records`` is a list of ``{"short": [start, end], "long": [start, end]}``
character offsets, one per occurrence of a defined short form (its definition first), each
pointing at the long form of the definition. ``imr_icd10`` uses them to code "CTS" as
"carpal tunnel syndrome".

Two shapes are read: ``long form (SF)`` and ``SF (long form)``. A short form has 2-10
characters, starts with a letter, is at least half letters and has an upper-case letter; its
characters must appear in order in the long form, the first one at the start of a word. A
short form defined twice in a letter keeps its first definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import overload

from spacy.attrs import IS_SPACE, ORTH
from spacy.language import Language
from spacy.tokens import Doc, Token

Record = dict[str, list[int]]
MAX_INNER = 8  # tokens inside the parentheses


def is_short_form(text: str) -> bool:
    """Schwartz & Hearst's short-form filter, plus: one upper-case letter at least."""
    if not 2 <= len(text) <= 10 or not text[0].isalpha():
        return False
    if sum(c.isalpha() for c in text) * 2 < len(text):
        return False
    return any(c.isupper() for c in text)


#: Words an acronym may skip ("Proton Pump Inhibitors", "College of Occupational ... Medicine").
SKIPPABLE = frozenset({"of", "and", "the", "for", "in", "to", "with", "a", "an", "on", "or", "-", "/"})


def initials_start(short: str, words: Sequence[str]) -> int | None:
    """Start of the long form whose word initials spell ``short`` (stop words may be skipped)."""
    letters = [c.lower() for c in short if c.isalnum()]
    wi = len(words) - 1
    for ch in reversed(letters):
        while wi >= 0 and words[wi].lower() in SKIPPABLE and words[wi][:1].lower() != ch:
            wi -= 1
        if wi < 0 or words[wi][:1].lower() != ch:
            return None
        wi -= 1
    return wi + 1


def long_form_start(short: str, words: Sequence[str]) -> int | None:
    """Index of the first word of the long form in ``words`` for ``short``, or None.

    Word initials first; else Schwartz & Hearst: the short form's letters and digits matched
    right to left, the first one at the start of a word. A plural ``s`` is not matched.
    """
    if len(short) > 2 and short.endswith("s") and short[-2].isupper():
        short = short[:-1]
    start = initials_start(short, words)
    if start is not None:
        return start
    text = " ".join(words)
    li = len(text) - 1
    for si in range(len(short) - 1, -1, -1):
        ch = short[si].lower()
        if not ch.isalnum():
            continue
        while li >= 0 and (text[li].lower() != ch or (si == 0 and li > 0 and text[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return None
        li -= 1
    start_char = li + 1
    pos = 0
    for i, word in enumerate(words):
        if pos + len(word) > start_char:
            return i
        pos += len(word) + 1
    return None


class IMRAbbreviations:
    """Finds abbreviation definitions and the later uses of their short forms."""

    def __init__(self, max_long_words: int) -> None:
        self.max_long_words = max_long_words

    def definitions(
        self, toks: Sequence[Token], opens: Iterable[int] | None = None
    ) -> list[tuple[list[Token], list[Token]]]:
        """(short tokens, long tokens) for each definition, in text order.

        ``opens``: the indices of the "(" tokens of ``toks``, when the caller has them.
        """
        out: list[tuple[list[Token], list[Token]]] = []
        n = len(toks)
        if opens is None:
            opens = [i for i, tok in enumerate(toks) if tok.text == "("]
        for i in opens:
            if i == 0:
                continue
            j = i + 1
            while j < n and j - i <= MAX_INNER and toks[j].text not in ")(":
                j += 1
            if j >= n or toks[j].text != ")" or j == i + 1:
                continue
            inner = toks[i + 1 : j]
            inner_text = "".join(t.text_with_ws for t in inner).strip()
            if len(inner) <= 2 and is_short_form(inner_text):
                limit = min(len(inner_text) + 5, len(inner_text) * 2, self.max_long_words)
                before = toks[max(0, i - limit) : i]
                cut = max((k + 1 for k, t in enumerate(before) if t.is_punct and t.text not in "-/'"), default=0)
                before = before[cut:]
                k = long_form_start(inner_text, [t.text for t in before])
                if k is not None and inner_text not in {t.text for t in before[k:]}:
                    out.append((inner, before[k:]))
            elif is_short_form(toks[i - 1].text) and not is_short_form(inner_text):
                k = long_form_start(toks[i - 1].text, [t.text for t in inner])
                if k == 0:
                    out.append(([toks[i - 1]], inner))
        return out

    def __call__(self, doc: Doc) -> Doc:
        # Token objects only where needed: a list of every Token makes the garbage collector's
        # full passes grow with the document (quadratic on long letters).
        arr = doc.to_array([ORTH, IS_SPACE])
        index = [i for i, sp in enumerate(arr[:, 1].tolist()) if not sp]
        strings = doc.vocab.strings
        orths = arr[:, 0].tolist()
        texts = [strings[orths[i]] for i in index]
        toks = _Tokens(doc, index)
        records: list[Record] = []
        defined: dict[str, tuple[int, list[int]]] = {}  # short text -> (definition token index, long)
        for short, long in self.definitions(toks, [k for k, text in enumerate(texts) if text == "("]):
            key = " ".join(t.text for t in short)
            if key in defined:
                continue
            span = [long[0].idx, long[-1].idx + len(long[-1])]
            defined[key] = (short[0].i, span)
            records.append({"short": [short[0].idx, short[-1].idx + len(short[-1])], "long": span})
        if defined:
            single = {k: v for k, v in defined.items() if " " not in k}
            for k, text in enumerate(texts):
                hit = single.get(text)
                if hit is not None and index[k] != hit[0]:
                    idx = doc[index[k]].idx
                    records.append({"short": [idx, idx + len(text)], "long": list(hit[1])})
        doc._.abbreviation_records = records
        return doc


class _Tokens(Sequence[Token]):
    """The non-space tokens of a Doc, each made on access."""

    def __init__(self, doc: Doc, index: list[int]) -> None:
        self.doc = doc
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    @overload
    def __getitem__(self, k: int) -> Token: ...
    @overload
    def __getitem__(self, k: slice) -> list[Token]: ...
    def __getitem__(self, k: int | slice) -> Token | list[Token]:
        if isinstance(k, slice):
            return [self.doc[i] for i in self.index[k]]
        return self.doc[self.index[k]]


@Language.factory("imr_abbreviations", default_config={"max_long_words": 10})
def make_abbreviations(nlp: Language, name: str, max_long_words: int) -> IMRAbbreviations:
    """Factory of :class:`IMRAbbreviations`."""
    return IMRAbbreviations(max_long_words)
