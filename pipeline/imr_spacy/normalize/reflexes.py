"""REFLEX_GRADE: ``grade``, ``reflex`` and ``side``.

``grade`` comes from the span ("+2" -> "2+", "1 +" -> "1+", "2+/4" -> "2+", "2/2" and
"2 of 4" -> "2", "3 plus" -> "3+", "absent", "trace"). ``reflex`` is the reflex named right
after the grade ("1+ at the knees", "2+ right patellar reflex") or else before it, in its
clause ("Achilles reflex is absent"); a generic name ("deep tendon reflexes") counts only
when no specific one is named, and several specific names leave it None. ``side`` is the
side word nearest to the grade in its clause. Tables: ``reflex_names``
(``{"text": "knee jerk", "reflex": "patellar"}``, ``"generic": true`` for "DTRs"),
``reflex_fillers`` (words between a grade and its name), ``reflex_sides``.
"""

from __future__ import annotations

import re

from spacy.tokens import Span, Token

from ..tables import Tables

WINDOW = 8
_GRADE = re.compile(r"^([+-]?)([0-4])\s*(\+|-|plus)?(?:\s*/\s*[0-4]\+?|\s*(?:out\s+)?of\s+4)?$")
_WORDS = {"absent", "trace"}


def grade_of(text: str) -> str | None:
    """The grade as written in SCHEMA form."""
    clean = " ".join(text.lower().split())
    if clean in _WORDS:
        return clean
    match = _GRADE.match(clean)
    if not match:
        return None
    sign, digit, post = match.groups()
    mark = "+" if post in ("+", "plus") else post or sign
    return digit + (mark or "")


def normalize(span: Span, tables: Tables) -> None:
    """Set ``grade``, ``reflex`` and ``side`` on a REFLEX_GRADE span."""
    span._.grade = grade_of(span.text)
    names = {r["text"]: r for r in tables.get("reflex_names", [])}
    fillers = {r["text"] for r in tables.get("reflex_fillers", [])}
    sides = {r["text"]: r["side"] for r in tables.get("reflex_sides", [])}
    left, right = _clause(span)
    span._.reflex = _reflex(left, right, names, fillers)
    span._.side = _side(left, right, sides)


def _clause(span: Span) -> tuple[list[str], list[str]]:
    """Words before (reading order) and after the grade, within the sentence, up to the
    neighbouring grades, at most ``WINDOW`` words each side."""
    doc = span.doc
    sent = span.sent if doc.has_annotation("SENT_START") else doc[:]
    left: list[str] = []
    for tok in reversed(doc[max(sent.start, span.start - 3 * WINDOW) : span.start]):
        if tok.ent_type_ == "REFLEX_GRADE" or len(left) >= WINDOW:
            break
        left.extend(reversed(_words(tok)))
    right: list[str] = []
    for tok in doc[span.end : min(sent.end, span.end + 3 * WINDOW)]:
        if tok.ent_type_ == "REFLEX_GRADE" or len(right) >= WINDOW:
            break
        right.extend(_words(tok))
    return left[::-1], right


def _words(tok: Token) -> list[str]:
    if tok.is_space:
        return []
    return [tok.lower_]


def _names_at(words: list[str], i: int, names: dict) -> tuple[dict | None, int]:
    """The longest reflex name starting at ``words[i]`` and its length in words."""
    for n in (3, 2, 1):
        if i + n > len(words):
            continue
        row = names.get(" ".join(words[i : i + n]))
        if row is not None:
            return row, n
    return None, 1


def _reflex(left: list[str], right: list[str], names: dict, fillers: set[str]) -> str | None:
    specific: set[str] = set()
    i = 0
    while i < len(right):  # names right after the grade, joined by "and" / ","
        row, n = _names_at(right, i, names)
        if row is not None:
            if not row.get("generic"):
                specific.add(row["reflex"])
        elif right[i] not in fillers and not (right[i] in {"and", ","} and specific):
            break
        i += n
    generic = None
    if not specific:
        i = 0
        while i < len(left):
            row, n = _names_at(left, i, names)
            if row is not None:
                if row.get("generic"):
                    generic = generic or row["reflex"]
                else:
                    specific.add(row["reflex"])
            i += n
    if len(specific) == 1:
        return next(iter(specific))
    return None if specific else generic


def _side(left: list[str], right: list[str], sides: dict[str, str]) -> str | None:
    """The side word nearest to the grade (right side first on a tie)."""
    best: tuple[int, str] | None = None
    for dist, word in enumerate(right):
        if word in sides:
            best = (dist, sides[word])
            break
    for dist, word in enumerate(reversed(left)):
        if word in sides:
            if best is None or dist < best[0]:
                best = (dist, sides[word])
            break
    return best[1] if best else None
