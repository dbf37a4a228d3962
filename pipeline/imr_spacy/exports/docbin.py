"""spaCy ``DocBin`` (``.spacy``) with user data: entities with their custom attributes,
``doc.spans["items"]`` (the decision items), ``doc._.section_bounds``, ``doc._.decision_records``,
``doc._.relation_records`` and ``doc._.case``; ``doc.user_data["imr_id"]`` holds the id.

Tokens are the IMR tokenizer's, split at every span boundary. ``section`` is not stored per span:
it is the getter over ``section_bounds``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, DocBin, Span

from ..records import entity_attrs
from .common import ITEM_LABEL, RELATION_ARGS, Annotated, SpanAnn, from_tool_view, span_cuts, tool_view
from .tokens import aligned_doc, imr_tokenizer_nlp

ITEMS_KEY = "items"


def to_doc(annotated: Annotated) -> Doc:
    """The Doc of a document (entities must not overlap)."""
    view = tool_view(annotated)
    nlp = imr_tokenizer_nlp()
    doc = aligned_doc(nlp, annotated.text, span_cuts(view.spans))
    ents, items = [], []
    for s in view.spans:
        span = doc.char_span(s.start, s.end, label=s.label)
        if span is None:
            raise ValueError(f"span {s.start}-{s.end} is not token-aligned")
        (items if s.label == ITEM_LABEL else ents).append((span, s.attrs))
    doc.ents = [span for span, _ in ents]
    for span, attrs in ents:
        for name, value in attrs.items():
            if name != "section" and Span.has_extension(name):
                setattr(span._, name, value)
    doc.spans[ITEMS_KEY] = [span for span, _ in items]
    doc._.section_bounds = [[s["start"], s["end"], s["title"]] for s in annotated.meta.get("sections", [])]
    doc._.decision_records = [_decision_record(d) for d in annotated.decisions]
    doc._.relation_records = [
        [[view.spans[h].start, view.spans[h].end], [view.spans[c].start, view.spans[c].end], label]
        for h, c, label in view.relations
    ]
    doc._.case = dict(annotated.meta.get("case") or {})
    doc.user_data["imr_id"] = annotated.id
    return doc


def _decision_record(dec: dict[str, Any]) -> dict[str, Any]:
    keys = ("item", "treatment", "count", "outcome", "decision", "guidelines", "rationale")
    rec = {k: dec.get(k) for k in keys}
    rec["guidelines"] = list(rec["guidelines"] or [])
    return rec


def export(docs: Iterable[Annotated], out: Path) -> int:
    """Write the ``.spacy`` file ``out``; returns the count."""
    out.parent.mkdir(parents=True, exist_ok=True)
    docbin = DocBin(store_user_data=True)
    n = 0
    for annotated in docs:
        docbin.add(to_doc(annotated))
        n += 1
    docbin.to_disk(out)
    return n


def from_doc(doc: Doc) -> Annotated:
    """The document of a Doc written by :func:`to_doc`."""
    spans = [SpanAnn(e.start_char, e.end_char, e.label_, entity_attrs(e)) for e in doc.ents]
    outcomes = {tuple(d["item"]): d.get("outcome") for d in doc._.decision_records or []}
    for s in doc.spans.get(ITEMS_KEY, []):
        outcome = outcomes.get((s.start_char, s.end_char))
        spans.append(SpanAnn(s.start_char, s.end_char, ITEM_LABEL, {"outcome": outcome}))
    by_offsets: dict[tuple[int, int], list[int]] = {}
    for i, s in enumerate(spans):
        by_offsets.setdefault((s.start, s.end), []).append(i)
    relations = []
    for head, child, label in doc._.relation_records or []:
        h = _pick(by_offsets.get(tuple(head), []), spans, label, 0)
        c = _pick(by_offsets.get(tuple(child), []), spans, label, 1)
        if h is not None and c is not None:
            relations.append((h, c, label))
    meta = {"sections": [{"start": s, "end": e, "title": t} for s, e, t in doc._.section_bounds or []]}
    meta["case"] = dict(doc._.case or {})
    return from_tool_view(str(doc.user_data.get("imr_id", "")), doc.text, spans, relations, meta)


def _pick(candidates: list[int], spans: list[SpanAnn], label: str, role: int) -> int | None:
    preferred = RELATION_ARGS.get(label, ((), ()))[role]
    for i in candidates:
        if spans[i].label in preferred:
            return i
    return candidates[0] if candidates else None


def read(path: Path) -> Iterator[Annotated]:
    """Documents of a ``.spacy`` file written by :func:`export`."""
    nlp = imr_tokenizer_nlp()
    for doc in DocBin(store_user_data=True).from_disk(path).get_docs(nlp.vocab):
        yield from_doc(doc)
