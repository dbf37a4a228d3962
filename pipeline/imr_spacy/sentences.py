"""``imr_sentencizer``: sentence splitting that holds on PDF-wrapped text and clinical abbreviations.

PDF-extracted letters break sentences over lines and blank lines, so a line break alone never ends
a sentence; a period, "!" or "?" does, unless it belongs to an abbreviation ("Dr.", "b.i.d.",
"No. 2") or to a list number ("1. Degenerative ..."), or the next word is lower case or
punctuation. Each numbered item starts a sentence, also after a colon ("The diagnoses are: 1. ...").
A line break ends a sentence before or after an all-caps title line, before a numbered or
bulleted item, after a colon and a blank line ("set forth below:"), or after a short line (a
heading or an item such as "MRI of the shoulder: Upheld") when the next line starts upper case.
An inline all-caps header ("PAST MEDICAL HISTORY:") starts a sentence.

Abbreviations are data: rows ``{"abbreviation": "b.i.d", "ends": true}`` in
``patterns/context/abbreviations.jsonl`` (``ends``: may close a sentence before an upper-case word;
``before_number``: an abbreviation only before a number, as "No. 2"). Other rows are ignored,
so the component can read the whole ``patterns/context`` folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy
from spacy.attrs import IS_SPACE, ORTH, SENT_START
from spacy.language import Language
from spacy.strings import StringStore, get_string_id
from spacy.tokens import Doc

from .tables import RowsMixin, rows_from
from .textview import doc_text

ENDERS = frozenset({".", "!", "?", "..."})
_ATTRS = [ORTH, IS_SPACE]
#: A sentence never starts with these ("3rd ed., Low Back" does not break).
_CONTINUERS = frozenset(",;:)]}%")
CLOSERS = frozenset({'"', "'", ")", "]", "”", "’"})
BULLETS = frozenset({"-", "•", "*", "·", "▪", "o"})
#: A line shorter than this share of the document's longest line is a paragraph end.
SHORT_LINE = 0.6
ABBREVIATIONS_FILE = "abbreviations.jsonl"


class SentenceRules:
    """Abbreviation tables used by :func:`sentence_starts`."""

    __slots__ = ("before_number", "enders", "ends", "never_ends", "rows")

    def __init__(self, rows: Iterable[dict[str, Any]] = ()) -> None:
        self.rows = [dict(r) for r in rows if "abbreviation" in r]
        self.never_ends: set[str] = set()
        self.ends: set[str] = set()
        self.before_number: set[str] = set()
        for row in self.rows:
            key = row["abbreviation"].lower().rstrip(".")
            if row.get("before_number"):
                self.before_number.add(key)
            elif row.get("ends"):
                self.ends.add(key)
            else:
                self.never_ends.add(key)
        forms = set(ENDERS) | {":"}
        for abbr in self.ends:
            forms.update(form + "." for form in (abbr, abbr.upper(), abbr.capitalize()))
        #: ORTH hashes of the tokens that may end a sentence: ".", "!", "?", ":" and "a.m."-like tokens.
        self.enders = frozenset(get_string_id(form) for form in forms)


_EMPTY = SentenceRules()


def sentence_starts(
    doc: Doc, rules: SentenceRules | None = None, orth: list[int] | None = None, spaces: list[int] | None = None
) -> list[int]:
    """Token indices that start a sentence (always includes 0 for a non-empty Doc).

    ``orth`` and ``spaces`` (ORTH and IS_SPACE of each token) may be given when the caller has them.
    """
    n = len(doc)
    if not n:
        return []
    rules = rules or _EMPTY
    if orth is None or spaces is None:
        arr = doc.to_array(_ATTRS)
        orth, spaces = arr[:, 0].tolist(), arr[:, 1].tolist()
    texts = _Texts(doc.vocab.strings, orth)
    enders = rules.enders
    breaks = [i for i, sp in enumerate(spaces) if sp and "\n" in texts[i]]
    starts = [0]
    width = 0
    full = ""
    if breaks:
        full = doc_text(doc)
        width = max(len(line.strip()) for line in full.split("\n"))
    cands = sorted([i for i, h in enumerate(orth) if h in enders] + breaks)
    for i in cands:
        text = texts[i]
        if text == ":":
            if i > 1:
                h = header_start(doc, i)
                if h is not None and h > starts[-1] and not _after_ender(texts, spaces, h):
                    starts.append(h)
            j = _next_word(spaces, i + 1)
            if j < n and _is_list_marker(doc, j):
                starts.append(j)  # "The diagnoses are: 1. ..." starts the first item
        elif spaces[i]:
            j = _next_word(spaces, i + 1)
            if j < n and i > 0 and j != starts[-1] and _line_break_ends(doc, full, texts, i, j, width):
                starts.append(j)
        else:
            j = _next_word(spaces, i + 1)
            while j < n and texts[j] in CLOSERS:
                j = _next_word(spaces, j + 1)
            if j < n and _ends_here(doc, texts, spaces, i, j, rules):
                starts.append(j)
    return sorted(set(starts))


class _Texts:
    """Token texts of a Doc, looked up on demand from ORTH hashes."""

    __slots__ = ("orth", "strings")

    def __init__(self, strings: StringStore, orth: list[int]) -> None:
        self.strings = strings
        self.orth = orth

    def __getitem__(self, i: int) -> str:
        return self.strings[self.orth[i]]


def _next_word(spaces: list[int], j: int) -> int:
    while j < len(spaces) and spaces[j]:
        j += 1
    return j


def _ends_here(doc: Doc, texts: _Texts, spaces: list[int], i: int, j: int, rules: SentenceRules) -> bool:
    """Whether the sentence ender at ``i`` closes a sentence whose successor starts at ``j``."""
    nxt = texts[j]
    first = nxt[0]
    if (first.islower() or first in _CONTINUERS) and not _is_list_marker(doc, j):
        return False
    text = texts[i]
    if text == "." and i > 0 and not doc[i - 1].whitespace_ and not spaces[i - 1]:
        prev = texts[i - 1].lower()
        if prev in rules.before_number:
            return not first.isdigit()
        if prev in rules.never_ends:
            return False
        if prev in rules.ends:
            return first.isupper()
        if prev.isdigit() and len(prev) <= 2 and _at_item_start(doc, texts, spaces, i - 1):
            return False  # "1." of a numbered list
    elif text not in ENDERS:  # an abbreviation token such as "a.m."
        return first.isupper()
    return True


def _at_item_start(doc: Doc, texts: _Texts, spaces: list[int], k: int) -> bool:
    """Whether token ``k`` (a number) opens a list item: at the start, after an ender, ':' or a line break."""
    p = k - 1
    if p < 0:
        return True
    if spaces[p]:
        return "\n" in texts[p] or p == 0 or texts[p - 1] in ENDERS or texts[p - 1] == ":"
    return texts[p] in ENDERS or texts[p] == ":"


def _is_list_marker(doc: Doc, j: int) -> bool:
    """A number followed by an attached '.' or ')' ("1." / "2)")."""
    tok = doc[j]
    return tok.text.isdigit() and j + 1 < len(doc) and doc[j + 1].text in {".", ")"} and not tok.whitespace_


def _line_break_ends(doc: Doc, full: str, texts: _Texts, i: int, j: int, width: int) -> bool:
    """Whether the line break at SPACE token ``i`` ends a sentence (``j``: the next word)."""
    p = i - 1
    while p >= 0 and texts[p].isspace():
        p -= 1
    if p < 0:
        return False
    end = doc[p].idx + len(texts[p])
    prev_line = full[full.rfind("\n", 0, end) + 1 : end].strip()
    nxt = texts[j]
    start = doc[j].idx
    next_line = full[start : (full.find("\n", start) + 1 or len(full) + 1) - 1].strip()
    if _is_title(prev_line) or _is_title(next_line):
        return True
    if _is_list_marker(doc, j) or (nxt in BULLETS and j + 1 < len(doc)):
        return True
    if not nxt[0].isupper() or texts[p] in {",", "-", "(", "/", "&"}:
        return False
    if texts[p] == ":" and full.count("\n", end, start) >= 2:
        return True  # "... set forth below:" + blank line + an item
    return len(prev_line) < SHORT_LINE * width


def _is_title(line: str) -> bool:
    """An all-caps line with at least six letters ("CLINICAL CASE SUMMARY")."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 6 and all(c.isupper() for c in letters)


def header_start(doc: Doc, colon: int) -> int | None:
    """Start of an all-caps header ending at the ':' token ``colon`` ("PAST MEDICAL HISTORY:")."""
    k = colon - 1
    words = 0
    while k >= 0:
        tok = doc[k]
        if tok.is_alpha and tok.is_upper and len(tok) > 1:
            words += 1
        elif tok.text not in {"&", ",", "/"} or words == 0:
            break
        k -= 1
    if words == 0:
        return None
    start = k + 1
    if len(doc[start:colon].text.replace(" ", "")) < 4:
        return None
    return start


def _after_ender(texts: _Texts, spaces: list[int], h: int) -> bool:
    p = h - 1
    while p >= 0 and spaces[p]:
        p -= 1
    return p < 0 or texts[p] in ENDERS


def set_sentences(doc: Doc, rules: SentenceRules | None = None) -> Doc:
    """Write sentence starts on ``doc`` (every token's ``is_sent_start`` set)."""
    flags = numpy.full(len(doc), -1, dtype="int64")
    flags[sentence_starts(doc, rules)] = 1
    return doc.from_array([SENT_START], flags.astype("uint64"))


class IMRSentencizer(RowsMixin):
    """Pipeline component wrapping :func:`set_sentences` with its abbreviation table."""

    rows_file = ABBREVIATIONS_FILE

    def __init__(self, rows: Iterable[dict[str, Any]] = ()) -> None:
        self.rules = SentenceRules(rows)

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None, rules: Any = None) -> None:
        """Load the abbreviation rows (a list or a reader; rows without "abbreviation" are skipped)."""
        self.set_rows(rows_from(rules))

    def get_rows(self) -> list[dict[str, Any]]:
        return self.rules.rows

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rules = SentenceRules(rows)

    def __call__(self, doc: Doc) -> Doc:
        return set_sentences(doc, self.rules)


@Language.factory("imr_sentencizer")
def make_sentencizer(nlp: Language, name: str) -> IMRSentencizer:
    """Factory of :class:`IMRSentencizer`."""
    return IMRSentencizer()
