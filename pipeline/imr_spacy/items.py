"""The disputed items of an IMR letter, found in the text by line layout and cue tables.

An item is a paragraph ending in ": Upheld" / ": Overturned" (the outcome word may stand alone on
the next line), followed by its labelled lines ("Claims Administrator guideline:", "MAXIMUS
guideline:", "Decision rationale:"). A restated modified request names the ruled-on portion
after a cue ("... The remaining IMR eligible portion of the original request, X is: Upheld").
Everything here works on character offsets of the original text; nothing is cleaned.

Cue tables (``patterns/decisions/*.jsonl``, keyed by file stem):

- ``outcomes``: ``{"word": "Upheld", "outcome": "upheld"}``
- ``labels``: ``{"label": "Decision rationale", "role": "rationale"}`` (roles: claims, guideline, rationale)
- ``restated``: ``{"cue": "The original request,"}``
- ``trim``: ``{"suffix": "is"}`` / ``{"prefix": "\\d{1,2}[.)]"}``: regexes cut from the end / start of an item
- ``stops``: ``{"cue": "set forth below:"}``, a line ending so is never part of an item
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Tables = dict[str, list[dict[str, Any]]]

_MAX_ITEM_LINES = 8
_LINE_ENDERS = "."


@dataclass
class Item:
    """A disputed item: its text, outcome word and the labelled regions of its block."""

    item: tuple[int, int]
    word: tuple[int, int]
    outcome: str
    block: tuple[int, int]
    regions: dict[str, tuple[int, int]] = field(default_factory=dict)


def phrase_regex(phrase: str) -> str:
    """A phrase as a regex that matches it across spaces and line breaks."""
    return r"\s+".join(re.escape(w) for w in phrase.split())


def _alternation(phrases: list[str]) -> str:
    alts = sorted({phrase_regex(p) for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(alts) or r"(?!x)x"


class ItemFinder:
    """Compiled cue regexes for :func:`find`."""

    def __init__(self, tables: Tables) -> None:
        self.outcome_of = {_key(r["word"]): r["outcome"] for r in tables.get("outcomes", [])}
        words = _alternation([r["word"] for r in tables.get("outcomes", [])])
        self.item_line = re.compile(rf"(?i)^(?P<pre>.*\S)[ \t\r]*:[ \t\r]*(?P<word>{words})[ \t\r]*$")
        self.word_line = re.compile(rf"(?i)^[ \t\r]*(?P<word>{words})[ \t\r]*$")
        self.role_of = {_key(r["label"]): r["role"] for r in tables.get("labels", [])}
        labels = _alternation([r["label"] for r in tables.get("labels", [])])
        self.label = re.compile(rf"(?im)^[ \t\r]*(?P<label>{labels})[ \t\r]*:")
        self.restated = re.compile(rf"(?i)(?:{_alternation([r['cue'] for r in tables.get('restated', [])])})")
        suffixes = "|".join(r["suffix"] for r in tables.get("trim", []) if "suffix" in r) or r"(?!x)x"
        prefixes = "|".join(r["prefix"] for r in tables.get("trim", []) if "prefix" in r) or r"(?!x)x"
        self.trim = re.compile(rf"(?i)\s+(?:{suffixes})\s*$")
        self.prefix = re.compile(rf"(?:{prefixes})\s+")
        stops = _alternation([r["cue"] for r in tables.get("stops", [])])
        self.stop = re.compile(rf"(?i)(?:{stops})\s*$")

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Item]:
        """The items in ``text[start:end]``, in order."""
        end = len(text) if end is None else end
        lines = _lines(text, start, end)
        found: list[tuple[int, int, tuple[int, int], str]] = []  # first line, colon, word, outcome
        for i, (ls, le) in enumerate(lines):
            line = text[ls:le]
            if self.label.match(line):
                continue
            m = self.item_line.match(line)
            if m:
                colon = text.rfind(":", ls, ls + m.start("word"))
                last = i
            else:
                m = self.word_line.match(line)
                last_i = _previous_nonblank(text, lines, i - 1) if m else None
                if last_i is None or not text[lines[last_i][0] : lines[last_i][1]].rstrip().endswith(":"):
                    continue
                colon = text.rfind(":", *lines[last_i])
                last = last_i
            if self.label.match(text[lines[last][0] : lines[last][1]]):
                continue
            word = (ls + m.start("word"), ls + m.end("word"))
            outcome = self.outcome_of.get(_key(text[word[0] : word[1]]), "")
            found.append((self._first_line(text, lines, last), colon, word, outcome))
        items = []
        for n, (first, colon, word, outcome) in enumerate(found):
            para = _skip_space(text, lines[first][0], colon)
            block_end = lines[found[n + 1][0]][0] if n + 1 < len(found) else end
            item = self._item_span(text, para, colon)
            if item is None:
                continue
            items.append(Item(item, word, outcome, (para, block_end), self._regions(text, word[1], block_end)))
        return items

    def _first_line(self, text: str, lines: list[tuple[int, int]], last: int) -> int:
        """First line of the paragraph that ends at line ``last``."""
        first = last
        while first > 0 and last - first < _MAX_ITEM_LINES:
            prev = text[lines[first - 1][0] : lines[first - 1][1]].strip()
            if not prev:
                # a page break inside a wrapped item: blank line, then a lower-case continuation
                before = _previous_nonblank(text, lines, first - 1)
                here = text[lines[first][0] : lines[first][1]].strip()
                if before is None or not here[:1].islower():
                    break
                if self._ends_paragraph(text[lines[before][0] : lines[before][1]]):
                    break
                first = before
                continue
            if self._ends_paragraph(text[lines[first - 1][0] : lines[first - 1][1]]):
                break
            first -= 1
        return first

    def _ends_paragraph(self, line: str) -> bool:
        """A line after which no item continues: a sentence end, a stop cue or a label line."""
        line = line.strip()
        return line.endswith(tuple(_LINE_ENDERS)) or bool(self.stop.search(line) or self.label.match(line))

    def _item_span(self, text: str, start: int, colon: int) -> tuple[int, int] | None:
        """The item text of a paragraph: after the last restated-request cue, without trailing words."""
        for m in self.restated.finditer(text, start, colon):
            start = _skip_space(text, m.end(), colon)
        m = self.prefix.match(text, start, colon)
        if m:
            start = m.end()
        end = colon
        m = self.trim.search(text, start, end)
        if m:
            end = m.start()
        end = _strip_end(text, start, end)
        return (start, end) if end > start else None

    def _regions(self, text: str, start: int, end: int) -> dict[str, tuple[int, int]]:
        """Role -> (start, end) of each labelled part of an item block."""
        marks = [
            (m.start(), m.end(), self.role_of.get(_key(m.group("label")), ""))
            for m in self.label.finditer(text, start, end)
        ]
        regions: dict[str, tuple[int, int]] = {}
        for n, (_, body, role) in enumerate(marks):
            stop = marks[n + 1][0] if n + 1 < len(marks) else end
            s = _skip_space(text, body, stop)
            e = _strip_end(text, s, stop)
            if role and role not in regions and e > s:
                regions[role] = (s, e)
        return regions


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        out.append((pos, stop))
        pos = stop + 1
    return out


def _previous_nonblank(text: str, lines: list[tuple[int, int]], i: int) -> int | None:
    while i >= 0 and not text[lines[i][0] : lines[i][1]].strip():
        i -= 1
    return i if i >= 0 else None


def _skip_space(text: str, i: int, end: int) -> int:
    while i < end and text[i].isspace():
        i += 1
    return i


def _strip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _key(phrase: str) -> str:
    return " ".join(phrase.lower().split())
