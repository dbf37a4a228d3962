"""GUIDELINE_CITE: ``guideline`` and ``pages``.

``guideline`` is the guideline of the best-ranked, then earliest, name in the cite found in the
``cite_names`` table (``{"text": "official disability guidelines", "guideline": "ODG", "rank": 1}``;
MTUS names rank first, so "ACOEM/MTUS" and "MTUS Guideline in ACOEM Chapter 12" are MTUS, and
MTUS chapter titles such as "Chronic Pain Medical Treatment" are MTUS), else the cite as written. ``pages`` are the
numbers after a page cue of the ``cite_pages`` table ("Page(s): 98-99" -> [98, 99],
"pg. 607" -> [607]); ranges are expanded, other numbers (chapters, years) are not pages.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.tokens import Span

from ..tables import Tables

MAX_RANGE = 60
_NUMBER = re.compile(r"^(\d{1,4})(?:-(\d{1,4}))?$")
_JOINERS = {",", "and", "to", "-", "&", "through"}
_SKIP = {".", ":"}


def normalize(span: Span, tables: Tables) -> None:
    """Set ``guideline`` and ``pages`` on a GUIDELINE_CITE span."""
    names = tuple((r["text"], r["guideline"], int(r.get("rank", 0))) for r in tables.get("cite_names", []))
    span._.guideline = guideline_of(span.text, names)
    cues = {r["cue"] for r in tables.get("cite_pages", [])}
    span._.pages = pages_of([t.lower_ for t in span if not t.is_space], cues)


def guideline_of(text: str, names: tuple[tuple[str, str, int], ...]) -> str:
    """The guideline of the best (rank, position) known name in ``text``, else ``text`` as written."""
    low = " ".join(text.lower().split())
    best: tuple[int, int, str] | None = None
    for pattern, guideline, rank in _compiled(names):
        match = pattern.search(low)
        if match and (best is None or (rank, match.start()) < best[:2]):
            best = (rank, match.start(), guideline)
    return best[2] if best else " ".join(text.split())


@lru_cache(maxsize=8)
def _compiled(names: tuple[tuple[str, str, int], ...]) -> list[tuple[re.Pattern[str], str, int]]:
    return [(re.compile(rf"(?<![\w-]){re.escape(text)}(?![\w])"), g, rank) for text, g, rank in names]


def pages_of(words: list[str], cues: set[str]) -> list[int]:
    """Page numbers introduced by a page cue, ranges expanded."""
    pages: list[int] = []
    i = 0
    while i < len(words):
        if words[i] not in cues:
            i += 1
            continue
        i += 1
        while i < len(words) and words[i] in _SKIP:
            i += 1
        while i < len(words):
            match = _NUMBER.match(words[i])
            if match:
                pages.extend(_expand(int(match.group(1)), match.group(2)))
            elif not (words[i] in _JOINERS and i + 1 < len(words) and _NUMBER.match(words[i + 1])):
                break
            elif words[i] in {"-", "to", "through"} and pages:
                nxt = _NUMBER.match(words[i + 1])
                pages.extend(_expand(pages.pop(), nxt.group(1)))
                i += 2
                continue
            i += 1
    return pages


def _expand(first: int, last: str | None) -> list[int]:
    if last is None:
        return [first]
    end = int(last)
    if end < first or end - first > MAX_RANGE:
        return [first, end]
    return list(range(first, end + 1))
