"""DATE: ``iso`` (python-dateutil, US month-first) and ``date_role`` from nearby cue words.

Tables (``patterns/attributes``):

- ``date_roles``: ``{"cue": "utilization review", "role": "utilization_review", "weight": 5,
  "side": "both", "max_distance": 10}``; a cue scores ``weight / (1 + distance)`` in words
  (half a word more on the right), the best score gives the role. Header labels ("Decision
  Date:") are cues with a high weight, a short reach and ``"header": true`` (they count only
  outside the letter's sections). A cue with ``"governs": true`` (a review verb: "denied",
  "modified") on the left wins over the cues between it and the date, its object ("UR denied
  the consultation on 6/9/17"). Cues do not reach over another DATE or a sentence end.
- ``date_defaults``: ``{"role": "other"}``, the role when no cue is found.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from dateutil import parser as dateparser
from spacy.tokens import Span, Token

from ..tables import Tables

#: Two-digit years up to this value are 20xx, later ones 19xx (fixed, so results never drift).
TWO_DIGIT_PIVOT = 40
WINDOW = 14
_DEFAULTS = (datetime(1904, 1, 1), datetime(1908, 2, 2))  # differ in year, month and day
_WRAP = re.compile(r"([/-])\s+")
_OF = re.compile(r"\s+of\s+", re.IGNORECASE)
_SPLIT = re.compile(r"[\s/-]+")
_MONTH_SHORT_YEAR = re.compile(r"^(\d{1,2})/(\d{2})$")
_ENDERS = frozenset({".", "!", "?", ";"})
_CONNECTORS = frozenset({"and", "to", "through", "or", "-"})


class _USParserInfo(dateparser.parserinfo):
    """Month-first dates with a fixed century pivot for two-digit years."""

    def convertyear(self, year: int, century_specified: bool = False) -> int:
        if year < 100 and not century_specified:
            return year + (2000 if year <= TWO_DIGIT_PIVOT else 1900)
        return year


_INFO = _USParserInfo(dayfirst=False, yearfirst=False)


def to_iso(text: str) -> str | None:
    """ "2009-02-23" for a full date, "2013-03" for month and year, None otherwise."""
    clean = _OF.sub(" ", _WRAP.sub(r"\1", " ".join(text.split())))
    short = _MONTH_SHORT_YEAR.match(clean)
    if short:  # "9/93": a two-digit year no day can be
        clean = f"{short.group(1)}/{_INFO.convertyear(int(short.group(2)))}"
    try:
        first, second = (dateparser.parse(clean, parserinfo=_INFO, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    if first.year != second.year or first.month != second.month:
        return None
    if first.day != second.day:
        return f"{first.year:04d}-{first.month:02d}"
    return f"{first.year:04d}-{first.month:02d}-{first.day:02d}"


def normalize(span: Span, tables: Tables) -> None:
    """Set ``iso`` and ``date_role`` on a DATE span."""
    span._.iso = to_iso(span.text)
    span._.date_role = date_role(span, tables)


def date_role(span: Span, tables: Tables) -> str:
    """The role whose cue scores best around ``span``; the default role without a cue."""
    indexes = tables[CUE_INDEXES] if CUE_INDEXES in tables else derived(tables)[CUE_INDEXES]
    cues = indexes[span._.section is None]
    default = next((r["role"] for r in tables.get("date_defaults", [])), "other")
    best, best_score = default, 0.0
    for side, words in (("left", _left_words(span)), ("right", _right_words(span))):
        for i, length, cue in _find_cues(words, cues):
            _, role, weight, cue_side, max_distance, governs = cue
            dist = len(words) - (i + length) if side == "left" else i
            if cue_side not in (side, "both") or dist > max_distance:
                continue
            if governs and side == "left":
                return role
            score = weight / (1 + dist + (0.5 if side == "right" else 0.0))
            if score > best_score:
                best, best_score = role, score
    return best


#: Key of the derived cue indexes in the tables the normalizer passes (see :func:`derived`).
CUE_INDEXES = "_date_role_cue_indexes"


def derived(tables: Tables) -> dict[str, Any]:
    """What :func:`date_role` derives from the tables, built once when they are set: the cue index
    of ``date_roles`` in the letter's sections (``False``) and in its header (``True``, where
    header-only cues count too)."""
    table = tables.get("date_roles", [])
    indexes = {}
    for header in (False, True):
        rows = tuple(
            (r["cue"], r["role"], r["weight"], r.get("side", "both"), r.get("max_distance", 10), bool(r.get("governs")))
            for r in table
            if header or not r.get("header")
        )
        indexes[header] = _cue_index(rows)
    return {CUE_INDEXES: indexes}


def _cue_index(rows: tuple[tuple, ...]) -> dict[str, list[tuple]]:
    """Cues keyed by their first word."""
    index: dict[str, list[tuple]] = {}
    for row in rows:
        key = " ".join(w for w in _SPLIT.split(row[0].lower()) if w)
        norm = (key, *row[1:])
        index.setdefault(key.split()[0], []).append(norm)
    return index


def _find_cues(words: list[str], index: dict[str, list[tuple]]) -> list[tuple[int, int, tuple]]:
    """(position, length, cue) of the longest cue starting at each word of ``words``."""
    found = []
    for i, word in enumerate(words):
        best = None
        for cue in index.get(word, ()):
            parts = cue[0].split()
            if words[i : i + len(parts)] == parts and (best is None or len(parts) > len(best[0].split())):
                best = cue
        if best is not None:
            found.append((i, len(best[0].split()), best))
    return found


def _words(tok: Token) -> list[str]:
    """The lower-case words of a token ("x-ray" -> "x", "ray"); none for spaces and punctuation."""
    if tok.is_space or tok.is_punct:
        return []
    return [w for w in _SPLIT.split(tok.lower_) if w]


def _left_words(span: Span) -> list[str]:
    """Lower-case words before the span in reading order, back to a sentence end or another DATE."""
    doc = span.doc
    words: list[str] = []
    for tok in reversed(doc[max(0, span.start - 3 * WINDOW) : span.start]):
        if tok.text in _ENDERS or len(words) >= WINDOW or _stops(tok, words):
            break
        if tok.ent_type_ != "DATE":
            words.extend(reversed(_words(tok)))
    return words[::-1]


def _right_words(span: Span) -> list[str]:
    """Lower-case words after the span, up to a sentence end or another DATE."""
    doc = span.doc
    words: list[str] = []
    for tok in doc[span.end : span.end + 3 * WINDOW]:
        if tok.text in _ENDERS or len(words) >= WINDOW or _stops(tok, words):
            break
        if tok.ent_type_ != "DATE":
            words.extend(_words(tok))
    return words


def _stops(tok: Token, words: list[str]) -> bool:
    """Another DATE ends the context, unless only connectors stand between ("11-1-16 and 11-7-16")."""
    return tok.ent_type_ == "DATE" and not all(w in _CONNECTORS for w in words)
