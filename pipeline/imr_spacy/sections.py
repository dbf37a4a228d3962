"""``imr_sections``: the sections of IMR letters (both formats) and clinical notes.

Section titles are data (``patterns/sections/*.jsonl``), one row per title::

    {"title": "CLINICAL CASE SUMMARY"}                                  # an IMR title, alone on its line
    {"title": "The Expert Reviewer has the following credentials",
     "label": "REVIEWER CREDENTIALS", "subsection": true}              # keeps its parent's title
    {"title": "PAST MEDICAL HISTORY", "style": "inline", "kind": "historical"}
    {"title": "PAST MEDICAL HX", "label": "PAST MEDICAL HISTORY", "style": "inline", "kind": "historical"}
    {"rule": "caps_header", "pattern": "[A-Z][A-Z]+(?: [A-Z]+)*"}      # generic note header (before ":")

IMR letters: titles stand alone on a line (possibly wrapped, trailing spaces); text before the
first title is the header block (``span._.section`` None). Clinical notes (no IMR title found):
inline headers ("PAST MEDICAL HISTORY: ...") at a line start or after a sentence end, from the
table (any case) or the generic all-caps rule. Each section runs to the next title.

``doc.spans["sections"]``: one span per section, ``label_`` its title (``HEADER`` for the header
block), ``kb_id_`` its kind from the table (``historical``, ``family``, ...) or "".
``doc._.section_bounds``: [start_char, end_char, title] for ``span._.section``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from .extensions import SECTIONS_KEY
from .tables import RowsMixin, rows_from
from .textview import doc_text

TITLES_FILE = "titles.jsonl"
HEADER_LABEL = "HEADER"
HEADER_KIND = "header"
_WRAP = r"[ \t\r]*(?:\n[ \t\r]*){0,3}"  # between the words of a title: spaces, up to 3 line breaks
_SENTENCE_END = ".!?;:"


@dataclass(frozen=True)
class Section:
    """One section: character offsets, the title ``span._.section`` reports, its own label, kind."""

    start: int
    end: int
    title: str | None
    label: str
    kind: str


class IMRSections(RowsMixin):
    """Finds section titles with regexes built from the title table."""

    rows_file = TITLES_FILE

    def __init__(self, titles: list[dict[str, Any]] | None = None) -> None:
        self.titles: list[dict[str, Any]] = list(titles or [])
        self._compile()

    def _compile(self) -> None:
        line_rows = [t for t in self.titles if "title" in t and t.get("style", "line") == "line"]
        inline_rows = [t for t in self.titles if "title" in t and t.get("style") == "inline"]
        rules = [t["pattern"] for t in self.titles if t.get("rule") == "caps_header"]
        self._line = re.compile(rf"(?im)^[ \t\r]*({_alternation(line_rows)})[ \t\r]*:?[ \t\r]*$")
        # a word-start lookahead and a trie keep this from trying every title at every character
        self._inline = re.compile(rf"(?i){_word_start(inline_rows)}({_trie(inline_rows)})[ \t\r]*:")
        caps = "|".join(f"(?:{p})" for p in rules) or r"(?!x)x"
        self._caps = re.compile(rf"({caps})[ \t\r]*:")
        self._by_key = {_key(t["title"]): t for t in self.titles if "title" in t}

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None, titles: Any = None) -> None:
        """Load the title table (a list or a reader)."""
        self.set_rows(rows_from(titles))

    def get_rows(self) -> list[dict[str, Any]]:
        return self.titles

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.titles = rows
        self._compile()

    def find(self, text: str) -> list[Section]:
        """The sections of ``text`` in order."""
        heads = self._letter_heads(text)
        if not any(not entry.get("subsection") for _, entry in heads):
            heads = self._note_heads(text)
        out: list[Section] = []
        if heads and text[: heads[0][0]].strip():
            out.append(Section(0, heads[0][0], None, HEADER_LABEL, HEADER_KIND))
        parent: str | None = None
        for i, (start, entry) in enumerate(heads):
            end = heads[i + 1][0] if i + 1 < len(heads) else len(text)
            label = _key(entry.get("label", entry["title"]))
            title = parent if entry.get("subsection") else label
            parent = title
            out.append(Section(start, end, title, label, entry.get("kind") or ""))
        return out

    def _letter_heads(self, text: str) -> list[tuple[int, dict[str, Any]]]:
        heads = []
        for m in self._line.finditer(text):
            entry = self._by_key.get(_key(m.group(1)))
            if entry is not None:
                heads.append((m.start(1), entry))
        return heads

    def _note_heads(self, text: str) -> list[tuple[int, dict[str, Any]]]:
        found: dict[int, tuple[int, dict[str, Any]]] = {}
        for m in self._inline.finditer(text):
            entry = self._by_key.get(_key(m.group(1)))
            if entry is not None and _at_boundary(text, m.start(1)):
                found[m.start(1)] = (m.end(1), entry)
        for m in self._caps.finditer(text):
            start = m.start(1)
            if start in found or not _at_boundary(text, start):
                continue
            title = _key(m.group(1))
            found[start] = (m.end(1), self._by_key.get(title) or {"title": title})
        # a header inside another (e.g. "MEDICAL HISTORY" in "PAST MEDICAL HISTORY") is dropped
        heads: list[tuple[int, dict[str, Any]]] = []
        last_end = -1
        for start in sorted(found):
            end, entry = found[start]
            if start >= last_end:
                heads.append((start, entry))
                last_end = end
        return heads

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        bounds: list[list[Any]] = []
        for sec in self.find(doc_text(doc)):
            span = doc.char_span(sec.start, sec.end, label=sec.label, kb_id=sec.kind, alignment_mode="expand")
            if span is not None:
                spans.append(span)
            if bounds and bounds[-1][2] == sec.title:
                bounds[-1][1] = sec.end  # a subsection continues its parent's title
            else:
                bounds.append([sec.start, sec.end, sec.title])
        doc.spans[SECTIONS_KEY] = spans
        doc._.section_bounds = bounds
        return doc


def section_kind(span: Span) -> str | None:
    """Kind of the section ``span`` starts in (``historical``, ``family``, ...), from the table."""
    doc = span.doc
    if SECTIONS_KEY not in doc.spans:
        return None
    kind = None
    for sec in doc.spans[SECTIONS_KEY]:
        if sec.start_char <= span.start_char < sec.end_char:
            kind = sec.kb_id_ or None
    return kind


def _alternation(rows: list[dict[str, Any]]) -> str:
    alts = [_WRAP.join(re.escape(w) for w in row["title"].split()) for row in rows]
    return "|".join(sorted(alts, key=len, reverse=True)) or r"(?!x)x"


def _trie(rows: list[dict[str, Any]]) -> str:
    """The titles as one regex with shared leading words factored out (case-insensitive use)."""
    root: dict[str, Any] = {}
    for row in rows:
        node = root
        for word in row["title"].lower().split():
            node = node.setdefault(word, {})
        node[""] = {}  # end of a title

    def emit(node: dict[str, Any]) -> str:
        alts = []
        for word in sorted((w for w in node if w), key=len, reverse=True):
            child = node[word]
            rest = [w for w in child if w]
            if not rest:
                alts.append(re.escape(word))
                continue
            tail = f"{_WRAP}(?:{emit(child)})"
            alts.append(re.escape(word) + (f"(?:{tail})?" if "" in child else tail))
        return "|".join(alts)

    return emit(root) or r"(?!x)x"


def _word_start(rows: list[dict[str, Any]]) -> str:
    """``\\b`` and a lookahead on the first characters, when every title starts with a word character."""
    firsts = {row["title"].lower()[0] for row in rows if row["title"]}
    if not firsts or not all(c.isalnum() for c in firsts):
        return ""
    return rf"\b(?=[{re.escape(''.join(sorted(firsts)))}])"


def _at_boundary(text: str, start: int) -> bool:
    """True at a line start or after a sentence end (spaces between)."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] == "\n" or (text[i] in _SENTENCE_END and i < start - 1)


def _key(title: str) -> str:
    return " ".join(title.upper().split())


@Language.factory("imr_sections")
def make_sections(nlp: Language, name: str) -> IMRSections:
    """Factory of :class:`IMRSections`."""
    return IMRSections()
