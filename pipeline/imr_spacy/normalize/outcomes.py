"""DECISION: ``outcome`` (``upheld``, ``overturned`` or ``partial``).

From the ``outcome_cues`` table: outcome words (``{"text": "upheld", "outcome": "upheld"}``,
"partially" -> partial); for an outcome phrase ("medically necessary"), a negation
(``{"negation": "not"}``) in the span or earlier in its clause (up to a ``clause_break``)
gives the ``negated`` outcome, otherwise the ``default`` one.
"""

from __future__ import annotations

from itertools import pairwise

from spacy.tokens import Span

from ..tables import Tables

WINDOW = 12


def normalize(span: Span, tables: Tables) -> None:
    """Set ``outcome`` on a DECISION span."""
    rows = tables.get("outcome_cues", [])
    words = {r["text"]: r["outcome"] for r in rows if "text" in r}
    negations = {r["negation"] for r in rows if "negation" in r}
    breaks = {r["clause_break"] for r in rows if "clause_break" in r}
    default = next((r["default"] for r in rows if "default" in r), "overturned")
    negated = next((r["negated"] for r in rows if "negated" in r), "upheld")
    toks = [t.lower_ for t in span if not t.is_space]
    found = [words[w] for w in _phrases(toks) if w in words]
    if found:
        span._.outcome = "partial" if "partial" in found else found[0]
        return
    span._.outcome = negated if _negated(span, toks, negations, breaks) else default


def _phrases(toks: list[str]) -> list[str]:
    """Single words and adjacent pairs of the span."""
    return toks + [f"{a} {b}" for a, b in pairwise(toks)]


def _negated(span: Span, toks: list[str], negations: set[str], breaks: set[str]) -> bool:
    if any(t in negations for t in toks):
        return True
    doc = span.doc
    seen = 0
    for tok in reversed(doc[max(0, span.start - 3 * WINDOW) : span.start]):
        if tok.is_space:
            continue
        if tok.lower_ in breaks:
            break
        if tok.lower_ in negations:
            return True
        seen += 1
        if seen >= WINDOW or tok.is_sent_start:
            break
    return False
