"""Validation of gold records against SCHEMA.md and the project tokenizer (used by the generator and tests)."""

from __future__ import annotations

from typing import Any

from imr_spacy.extensions import DATE_ROLES, OUTCOMES, SCHEMA_LABELS
from spacy.language import Language

LABELS = frozenset(SCHEMA_LABELS)


def check_record(rec: dict[str, Any], nlp: Language) -> list[str]:
    """Problems of one gold record (empty when valid); messages name offsets, never the text."""
    problems: list[str] = []
    text = rec["text"]
    doc = nlp.make_doc(text)
    starts = {t.idx for t in doc}
    ends = {t.idx + len(t.text) for t in doc}
    prev_end = -1
    for s in sorted(rec["spans"], key=lambda s: (s["start"], s["end"])):
        a, b, label = s["start"], s["end"], s["label"]
        where = f"{label}[{a}:{b}]"
        if label not in LABELS:
            problems.append(f"unknown label {where}")
        if not 0 <= a < b <= len(text):
            problems.append(f"outside text {where}")
            continue
        if a < prev_end:
            problems.append(f"overlap {where}")
        prev_end = max(prev_end, b)
        if a not in starts or b not in ends:
            problems.append(f"not token-aligned {where}")
        if text[a].isspace() or text[b - 1].isspace():
            problems.append(f"whitespace at edge {where}")
        attrs = s.get("attrs", {})
        if label == "DATE" and attrs.get("date_role") not in DATE_ROLES:
            problems.append(f"bad date_role {where}")
        if label == "DECISION" and attrs.get("outcome") not in OUTCOMES:
            problems.append(f"bad outcome {where}")
        if label == "VISIT_COUNT" and not attrs.get("count_min", 0) <= attrs.get("count_max", 0):
            problems.append(f"bad count {where}")
    for d in rec.get("decisions", []):
        a, b = d["item"]
        if not 0 <= a < b <= len(text):
            problems.append(f"decision item outside text [{a}:{b}]")
        if d["outcome"] not in OUTCOMES:
            problems.append(f"bad decision outcome [{a}:{b}]")
        cites = {(s["start"], s["end"]) for s in rec["spans"] if s["label"] == "GUIDELINE_CITE"}
        for g in d.get("guidelines", []):
            if tuple(g) not in cites:
                problems.append(f"decision guideline is not a cite {g}")
    return problems
