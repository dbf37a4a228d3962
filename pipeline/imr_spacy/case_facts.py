"""``imr_case_facts``: document-level facts as ``doc._.case`` (a dict of plain values).

Rules are data (``patterns/case/*.jsonl``), tried in file order; the first that yields a value
sets its fact:

- ``fields``: ``{"fact": "injury_date", "cue": "Date of Injury:", "value": "date"}``: the value after
  a cue (``date``, ``token``, ``line`` = rest of the line, ``phrase`` = up to an ``until`` stop);
  ``{"fact": "injury_date", "role": "injury"}``: the first DATE entity with that ``date_role``.
- ``patterns``: ``{"fact": "patient_age", "pattern": "(?P<value>\\d+) years? old", "section": "..."}``:
  a regex, searched in the named section when the letter has it.
- ``values``: ``{"fact": "patient_sex", "word": "woman", "value": "female"}``: maps a matched word.

Dates reuse a DATE entity's ``span._.iso`` where the normalizer set it, else are parsed here.
A missing fact is None; no input raises.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import datetime
from typing import Any

from dateutil import parser as dateparser
from spacy.language import Language
from spacy.tokens import Doc, Span

from .items import phrase_regex
from .tables import Tables, TablesMixin
from .textview import doc_text

FACTS: tuple[str, ...] = (
    "case_number",
    "patient_age",
    "patient_sex",
    "injury_date",
    "ur_denial_date",
    "decision_date",
    "date_assigned",
    "application_received",
    "priority",
    "reviewer_specialty",
    "reviewer_licensure",
)
INT_FACTS = frozenset({"patient_age"})
_DEFAULT_UNTIL = (",", ".", ";")
_DATE_WORDS = 3  # "June 20, 2014"
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))
_TOKEN = re.compile(r"\s*(\S+)")


class IMRCaseFacts(TablesMixin):
    """Patient age and sex, header dates, reviewer specialty and licensure, case number."""

    def __init__(self) -> None:
        self.tables: Tables = {}
        self.on_tables()

    def on_tables(self) -> None:
        self._fields = [
            {**row, "regex": re.compile(rf"(?i){phrase_regex(row['cue'])}"), "first": row["cue"].split()[0].casefold()}
            if "cue" in row
            else row
            for row in self.tables.get("fields", [])
        ]
        self._patterns = [{**row, "regex": re.compile(row["pattern"])} for row in self.tables.get("patterns", [])]
        self._values: dict[tuple[str, str], Any] = {
            (row["fact"], row["word"].lower()): row["value"] for row in self.tables.get("values", [])
        }

    def __call__(self, doc: Doc) -> Doc:
        case: dict[str, Any] = dict.fromkeys(FACTS)
        view = _View(doc)  # doc.text and doc.ents cost O(n) per access: taken once
        for row in self._fields:
            if case.get(row["fact"]) is None:
                case[row["fact"]] = self._field(view, row)
        for row in self._patterns:
            if case.get(row["fact"]) is None:
                case[row["fact"]] = self._pattern(view, row)
        doc._.case = case
        return doc

    def _field(self, view: _View, row: dict[str, Any]) -> Any:
        if "role" in row:
            ent = next((e for e in view.ents if e.label_ == "DATE" and e._.date_role == row["role"]), None)
            return None if ent is None else _date_of(view, ent.start_char)
        if row["first"] not in view.folded:  # (?i) can only match where the casefolded text has it
            return None
        text = view.text
        m = row["regex"].search(text)
        if m is None:
            return None
        at = m.end()
        kind = row.get("value", "line")
        if kind == "date":
            return _date_of(view, at)
        if kind == "token":
            tok = _TOKEN.match(text, at)
            return tok.group(1) if tok else None
        if kind == "line":
            end = text.find("\n", at)
            value = text[at : len(text) if end < 0 else end]
        else:
            value = _until(text, at, row.get("until") or _DEFAULT_UNTIL)
        value = " ".join(value.split())
        return value or None

    def _pattern(self, view: _View, row: dict[str, Any]) -> Any:
        start, end = _section(view, row.get("section"))
        m = row["regex"].search(view.text, start, end)
        if m is None:
            return None
        raw = m.group("value")
        fact = row["fact"]
        if fact in INT_FACTS:
            return int(raw) if raw.isdigit() else None
        return self._values.get((fact, raw.lower()), raw)


class _View:
    """What the rules read of a Doc, computed once per call: its text and entities."""

    __slots__ = ("_ents", "_folded", "_starts", "doc", "text")

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc_text(doc)
        self._ents: tuple[Span, ...] | None = None
        self._starts: list[int] = []
        self._folded: str | None = None

    @property
    def folded(self) -> str:
        """The casefolded text (a cheap test before a case-insensitive regex search)."""
        if self._folded is None:
            self._folded = self.text.casefold()
        return self._folded

    @property
    def ents(self) -> tuple[Span, ...]:
        if self._ents is None:
            self._ents = self.doc.ents
            self._starts = [e.start for e in self._ents]
        return self._ents

    def ent_starting_at(self, token: int) -> Span | None:
        """The first entity starting at Doc token ``token``."""
        ents = self.ents
        k = bisect_left(self._starts, token)
        return ents[k] if k < len(ents) and self._starts[k] == token else None


def _section(view: _View, title: str | None) -> tuple[int, int]:
    """Bounds of the named section, or the whole text."""
    if title:
        for start, end, name in view.doc._.section_bounds or []:
            if name and name.upper() == title.upper():
                return start, end
    return 0, len(view.text)


def _until(text: str, at: int, stops: list[str] | tuple[str, ...]) -> str:
    """Text from ``at`` to the first stop (line breaks inside count as spaces)."""
    longest = max((len(s) for s in stops), default=0)
    size = 256
    while True:  # a growing window, not the rest of a long document
        flat = text[at : at + size].replace("\n", " ")
        finds = [i for i in (flat.find(s) for s in stops) if i >= 0]
        cut = min(finds, default=len(flat))
        # a stop found before the window's last ``longest`` characters is the first in the whole text
        if at + size >= len(text) or (finds and cut <= len(flat) - longest):
            return flat[:cut]
        size *= 4


def _date_of(view: _View, at: int) -> str | None:
    """ISO date of the DATE entity or the date text starting after ``at`` (whitespace between)."""
    text = view.text
    start = at
    while start < len(text) and text[start].isspace():
        start += 1
    ent = _ent_at(view, start)
    if ent is not None and ent._.iso:
        return str(ent._.iso)
    words = (ent.text if ent is not None else text[start : start + 40]).split()[:_DATE_WORDS]
    for n in range(len(words), 0, -1):
        iso = parse_date(" ".join(words[:n]))
        if iso:
            return iso
    return None


def _ent_at(view: _View, start: int) -> Span | None:
    """The DATE entity starting at character ``start``, if any."""
    token = view.doc.char_span(start, start + 1, alignment_mode="expand")
    if token is None or token[0].ent_iob_ != "B":
        return None
    ent = view.ent_starting_at(token.start)
    return ent if ent is not None and ent.label_ == "DATE" and ent.start_char == start else None


def parse_date(value: str) -> str | None:
    """ "02/23/2009", "10-13-16", "June 20, 2014" -> ISO; "March 2013" -> "2013-03"; else None."""
    value = value.strip().rstrip(",.;")
    if not any(ch.isdigit() for ch in value):
        return None
    try:
        a, b = (dateparser.parse(value, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    if a.year != b.year:
        return None
    if a.month != b.month:
        return None
    return a.strftime("%Y-%m") if a.day != b.day else a.strftime("%Y-%m-%d")


@Language.factory("imr_case_facts")
def make_case_facts(nlp: Language, name: str) -> IMRCaseFacts:
    """Factory of :class:`IMRCaseFacts`."""
    return IMRCaseFacts()
