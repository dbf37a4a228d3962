"""VISIT_COUNT: ``count_min`` / ``count_max``.

A count is one number or range ("12 sessions", "9-10 visits", "3 to 6 treatments", "x 12",
"#6", "QTY: 3", "five (5)") or a product of two ("2 times a week for 6 weeks" = 12,
"2-3 times a week for 6 weeks" = 12 to 18, "3x2" = 6, "2 times 8" = 16).
Spelled numbers ("six", "twice") come from the ``count_numbers`` table
(``{"word": "six", "value": 6}``).
"""

from __future__ import annotations

import re

from spacy.tokens import Span

from ..tables import Tables

Range = tuple[int, int]

_RANGE = re.compile(r"^[#xX×]?(\d{1,3})(?:-(\d{1,3}))?[xX]?$")
_PRODUCT = re.compile(r"^(\d{1,2})[xX×](\d{1,3})$")
_JOINERS = {"-", "to", "or"}
_TOKEN = re.compile(r"\(\s*\d+\s*\)|[#x×]?\d+(?:-\d+)?(?:[x×]\d*)?|[a-z]+|-")


def normalize(span: Span, tables: Tables) -> None:
    """Set ``count_min`` and ``count_max`` on a VISIT_COUNT span."""
    words = {r["word"].lower(): int(r["value"]) for r in tables.get("count_numbers", [])}
    result = count_range(span.text, words)
    if result is not None:
        span._.count_min, span._.count_max = result


def count_range(text: str, words: dict[str, int]) -> Range | None:
    """(min, max) of a count phrase, or None when it holds no number."""
    groups = _groups(text, words)
    if not groups:
        return None
    lo, hi = groups[0]
    if len(groups) >= 2:
        lo, hi = lo * groups[1][0], hi * groups[1][1]
    return lo, hi


def _groups(text: str, words: dict[str, int]) -> list[Range]:
    """The numbers of a phrase in order, ranges joined ("3 to 6"), "five (5)" read once."""
    tokens = _TOKEN.findall(text.lower())
    groups: list[Range] = []
    joined = False
    for tok in tokens:
        if tok.startswith("("):
            if groups:  # "five (5)": the digits repeat the word
                continue
            tok = tok.strip("() ")
        value = _value(tok, words)
        if value is None:
            joined = tok in _JOINERS and bool(groups)
            continue
        if isinstance(value, list):
            groups.extend(value)
        elif joined:
            groups[-1] = (groups[-1][0], value[1])
        else:
            groups.append(value)
        joined = False
    return groups


def _value(tok: str, words: dict[str, int]) -> Range | list[Range] | None:
    if tok in words:
        return (words[tok], words[tok])
    product = _PRODUCT.match(tok)
    if product:
        return [(int(product.group(1)),) * 2, (int(product.group(2)),) * 2]
    match = _RANGE.match(tok)
    if match:
        lo = int(match.group(1))
        hi = int(match.group(2)) if match.group(2) else lo
        return (min(lo, hi), max(lo, hi))
    return None
