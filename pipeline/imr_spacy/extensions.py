"""Custom attributes of the annotation contract (SCHEMA.md), registered once.

Every value stored on a Doc is plain data (str, int, bool, list, dict), so Docs survive
``DocBin(store_user_data=True)``, ``Doc.to_bytes`` and ``nlp.pipe(n_process=2)``.
Span-valued views (``doc._.decisions``, ``doc._.relations``) are getters over stored offsets.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from spacy.tokens import Doc, Span

#: The entity labels of the contract (SCHEMA.md), in its order.
SCHEMA_LABELS: tuple[str, ...] = (
    "DIAGNOSIS",
    "TREATMENT",
    "VISIT_COUNT",
    "REFLEX_GRADE",
    "DATE",
    "GUIDELINE_CITE",
    "FINDING",
    "EVIDENCE",
    "DECISION",
)
OUTCOMES: tuple[str, ...] = ("upheld", "overturned", "partial")
DATE_ROLES: tuple[str, ...] = ("injury", "report", "utilization_review", "request", "other")

#: displaCy-style colours per label (HTML page, Label Studio config).
LABEL_COLORS: dict[str, str] = {
    "DIAGNOSIS": "#ff9561",
    "TREATMENT": "#7aecec",
    "VISIT_COUNT": "#bfeeb7",
    "REFLEX_GRADE": "#feca74",
    "DATE": "#bfe1d9",
    "GUIDELINE_CITE": "#aa9cfc",
    "FINDING": "#dddddd",
    "EVIDENCE": "#e4e7d2",
    "DECISION": "#f0d0ff",
}

#: Span attributes with their defaults.
SPAN_ATTRS: dict[str, Any] = {
    "is_negated": False,
    "is_historical": False,
    "is_hypothetical": False,
    "is_family": False,
    "is_uncertain": False,
    "context_cues": None,
    "iso": None,
    "date_role": None,
    "count_min": None,
    "count_max": None,
    "reflex": None,
    "grade": None,
    "side": None,
    "guideline": None,
    "pages": None,
    "outcome": None,
    "icd10": None,
}

#: Attributes exported per label (beyond the ConText flags and section).
LABEL_ATTRS: dict[str, tuple[str, ...]] = {
    "DATE": ("iso", "date_role"),
    "VISIT_COUNT": ("count_min", "count_max"),
    "REFLEX_GRADE": ("reflex", "grade", "side"),
    "GUIDELINE_CITE": ("guideline", "pages"),
    "DECISION": ("outcome",),
    "DIAGNOSIS": ("icd10",),
}

CONTEXT_ATTRS: tuple[str, ...] = (
    "is_negated",
    "is_historical",
    "is_hypothetical",
    "is_family",
    "is_uncertain",
)

SECTIONS_KEY = "sections"


def section_title_at(bounds: list[list[Any]] | None, offset: int) -> str | None:
    """Title of the section holding character ``offset``; ``bounds`` are sorted [start, end, title]."""
    if not bounds:
        return None
    i = bisect_right(bounds, offset, key=lambda b: b[0]) - 1
    if i < 0:
        return None
    start, end, title = bounds[i]
    return title if start <= offset < end else None


def section_of(span: Span) -> str | None:
    """Title of the section a span starts in, from ``doc._.section_bounds``."""
    return section_title_at(span.doc._.section_bounds, span.start_char)


def _span_from(doc: Doc, offsets: list[int] | tuple[int, int] | None) -> Span | None:
    if offsets is None:
        return None
    span = doc.char_span(offsets[0], offsets[1], alignment_mode="expand")
    return span


def decisions_getter(doc: Doc) -> list[dict[str, Any]]:
    """``doc._.decisions``: SCHEMA decision records with Spans, built from stored offsets."""
    out = []
    for rec in doc._.decision_records or []:
        out.append(
            {
                "item": _span_from(doc, rec["item"]),
                "treatment": _span_from(doc, rec.get("treatment")),
                "count": _span_from(doc, rec.get("count")),
                "outcome": rec["outcome"],
                "decision": _span_from(doc, rec.get("decision")),
                "guidelines": [_span_from(doc, g) for g in rec.get("guidelines", [])],
                "rationale": _span_from(doc, rec.get("rationale")),
            }
        )
    return out


def relations_getter(doc: Doc) -> list[tuple[Span, Span, str]]:
    """``doc._.relations``: (head Span, child Span, label) triples from stored offsets."""
    out = []
    for head, child, label in doc._.relation_records or []:
        h, c = _span_from(doc, head), _span_from(doc, child)
        if h is not None and c is not None:
            out.append((h, c, label))
    return out


def register() -> None:
    """Register every extension (idempotent)."""
    for name, default in SPAN_ATTRS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    if not Span.has_extension("section"):
        Span.set_extension("section", getter=section_of)
    for name in ("section_bounds", "decision_records", "relation_records", "abbreviation_records"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
    if not Doc.has_extension("case"):
        Doc.set_extension("case", default=None)
    if not Doc.has_extension("decisions"):
        Doc.set_extension("decisions", getter=decisions_getter)
    if not Doc.has_extension("relations"):
        Doc.set_extension("relations", getter=relations_getter)


register()
