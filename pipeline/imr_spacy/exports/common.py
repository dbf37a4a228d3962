"""The annotation model every exporter and importer shares.

:class:`Annotated` is one document with its entity spans, decisions and relations (character
offsets). Labelling tools see a *tool view* of it: the entities plus one ``ITEM`` span per
decision (attribute ``outcome``), and relations between those spans: the record's relations and,
derived from the decisions, ``HAS_OUTCOME`` (ITEM -> DECISION) and ``CITES`` (DECISION -> cite, or
ITEM -> cite when the decision has no DECISION span, as in gold files). Reading a tool view back
gives the decisions again (:func:`from_tool_view`).

Imported spans always state the five ConText flags (a flag not marked is False).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..extensions import CONTEXT_ATTRS
from ..inputs import DEFAULT_MAX_BYTES, InputError, read_source
from ..pdf_reader import DocumentError
from ..records import text_sha1

ITEM_LABEL = "ITEM"
#: Relation label -> (preferred head labels, preferred child labels).
RELATION_ARGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "HAS_OUTCOME": ((ITEM_LABEL,), ("DECISION",)),
    "CITES": (("DECISION", ITEM_LABEL), ("GUIDELINE_CITE",)),
    "HAS_COUNT": (("TREATMENT",), ("VISIT_COUNT",)),
}


@dataclass
class SpanAnn:
    """A labelled character span with its attributes."""

    start: int
    end: int
    label: str
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.label)


@dataclass
class Annotated:
    """One document: entities, decisions and relations by character offsets, plus metadata."""

    id: str
    text: str
    spans: list[SpanAnn]
    decisions: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolView:
    """Spans (entities and ITEMs) and relations as (head index, child index, label)."""

    spans: list[SpanAnn]
    relations: list[tuple[int, int, str]]


def with_flags(attrs: dict[str, Any]) -> dict[str, Any]:
    """``attrs`` with every ConText flag stated (missing ones False)."""
    out = dict(attrs)
    for name in CONTEXT_ATTRS:
        out[name] = bool(out.get(name, False))
    return out


def from_record(record: dict[str, Any], text: str) -> Annotated:
    """An ``imr annotate`` record (with its text)."""
    spans = [SpanAnn(e["start"], e["end"], e["label"], dict(e.get("attrs", {}))) for e in record.get("entities", [])]
    meta = {k: record[k] for k in ("source", "sections", "case", "pipeline") if k in record}
    decisions = [dict(d) for d in record.get("decisions", [])]
    return Annotated(record["id"], text, spans, decisions, list(record.get("relations", [])), meta)


def from_gold(gold: dict[str, Any]) -> Annotated:
    """A SCHEMA gold line."""
    spans = [SpanAnn(s["start"], s["end"], s["label"], dict(s.get("attrs", {}))) for s in gold.get("spans", [])]
    meta = {"gold_meta": gold["meta"]} if "meta" in gold else {}
    return Annotated(
        str(gold["id"]),
        gold["text"],
        spans,
        [dict(d) for d in gold.get("decisions", [])],
        list(gold.get("relations", [])),
        meta,
    )


def to_gold(doc: Annotated) -> dict[str, Any]:
    """The SCHEMA gold line of a document (plus its relations)."""
    gold: dict[str, Any] = {
        "id": doc.id,
        "text": doc.text,
        "spans": [{"start": s.start, "end": s.end, "label": s.label, "attrs": s.attrs} for s in doc.spans],
        "decisions": doc.decisions,
        "relations": doc.relations,
    }
    if "gold_meta" in doc.meta:
        gold["meta"] = doc.meta["gold_meta"]
    return gold


def _find(spans: list[SpanAnn], offsets: Any, labels: tuple[str, ...]) -> int | None:
    if offsets is None:
        return None
    start, end = offsets[0], offsets[1]
    fallback = None
    for i, s in enumerate(spans):
        if s.start == start and s.end == end:
            if s.label in labels:
                return i
            if fallback is None and s.label != ITEM_LABEL:
                fallback = i
    return fallback


def tool_view(doc: Annotated) -> ToolView:
    """Entities (flags stated) plus ITEM spans, and every relation between them."""
    spans = [SpanAnn(s.start, s.end, s.label, with_flags(s.attrs)) for s in doc.spans]
    seen = {s.key for s in spans}
    for dec in doc.decisions:
        item = dec.get("item")
        if item is None or (item[0], item[1], ITEM_LABEL) in seen:
            continue
        seen.add((item[0], item[1], ITEM_LABEL))
        spans.append(SpanAnn(item[0], item[1], ITEM_LABEL, {"outcome": dec.get("outcome")}))
    relations: list[tuple[int, int, str]] = []

    def add(head: int | None, child: int | None, label: str) -> None:
        if head is not None and child is not None and (head, child, label) not in relations:
            relations.append((head, child, label))

    for rel in doc.relations:
        heads, children = RELATION_ARGS.get(rel["label"], ((), ()))
        add(_find(spans, rel["head"], heads), _find(spans, rel["child"], children), rel["label"])
    for dec in doc.decisions:
        item = _find(spans, dec.get("item"), (ITEM_LABEL,))
        decision = _find(spans, dec.get("decision"), ("DECISION",))
        if decision is not None:
            add(item, decision, "HAS_OUTCOME")
        for cite in dec.get("guidelines") or []:
            add(item if decision is None else decision, _find(spans, cite, ("GUIDELINE_CITE",)), "CITES")
    return ToolView(spans, relations)


def from_tool_view(
    doc_id: str, text: str, spans: list[SpanAnn], relations: list[tuple[int, int, str]], meta: dict[str, Any]
) -> Annotated:
    """The document a labelling tool holds: entities, decisions from ITEM spans, relations."""
    entities = [SpanAnn(s.start, s.end, s.label, with_flags(s.attrs)) for s in spans if s.label != ITEM_LABEL]
    decisions = []
    for i, item in enumerate(spans):
        if item.label != ITEM_LABEL:
            continue
        outs = [c for h, c, lab in relations if h == i and lab == "HAS_OUTCOME"]
        decision = spans[outs[0]] if outs else None
        outcome = item.attrs.get("outcome") or (decision.attrs.get("outcome") if decision else None)
        heads = {i, *outs}
        cites = sorted({(spans[c].start, spans[c].end) for h, c, lab in relations if h in heads and lab == "CITES"})
        rec: dict[str, Any] = {"item": [item.start, item.end], "outcome": outcome}
        rec["guidelines"] = [list(c) for c in cites]
        if decision is not None:
            rec["decision"] = [decision.start, decision.end]
        decisions.append(rec)
    decisions.sort(key=lambda d: d["item"])
    rels = [
        {"head": [spans[h].start, spans[h].end], "child": [spans[c].start, spans[c].end], "label": lab}
        for h, c, lab in relations
    ]
    return Annotated(doc_id, text, entities, decisions, rels, meta)


def write_jsonl(docs: Iterable[Annotated], out: Path, convert: Callable[[Annotated], dict[str, Any]]) -> int:
    """Write ``convert(doc)`` as one JSON line per document to ``out``; returns the count."""
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(convert(doc), ensure_ascii=False) + "\n")
            n += 1
    return n


def span_cuts(spans: list[SpanAnn]) -> set[int]:
    """Every span boundary."""
    return {x for s in spans for x in (s.start, s.end)}


class AnnotationsError(Exception):
    """A line of an annotations file that cannot be exported; ``reason`` names no text."""


def resolve_text(obj: dict[str, Any], texts_dir: Path | None, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a record or gold line: its own, ``TEXTS_DIR/ID.txt``, or its source read again.

    A text that does not match the line's ``sha1`` is refused.
    """
    if isinstance(obj.get("text"), str):
        return obj["text"]
    doc_id = str(obj.get("id"))
    try:
        if texts_dir is not None:
            text = (Path(texts_dir) / f"{doc_id}.txt").read_text(encoding="utf-8")
        elif obj.get("source"):
            text = read_source(obj["source"], max_bytes)
        else:
            raise AnnotationsError("no text, no source: give --texts DIR")
    except OSError as exc:
        raise AnnotationsError(f"cannot read its text ({exc.strerror or type(exc).__name__})") from None
    except (DocumentError, UnicodeDecodeError) as exc:
        reason = exc.reason if isinstance(exc, DocumentError) else "invalid UTF-8"
        raise AnnotationsError(f"cannot read its text ({reason})") from None
    if obj.get("sha1") and text_sha1(text) != obj["sha1"]:
        raise AnnotationsError("its text does not match the record's sha1")
    return text


def load_annotations(path: str | Path, texts_dir: Path | None = None) -> Iterator[Annotated | InputError]:
    """Documents of an ``imr annotate`` output or a gold JSONL file (lines told apart by their keys)."""
    path = Path(path)
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            source = f"{path}:{lineno}"
            try:
                obj = json.loads(raw)
            except ValueError:
                yield InputError(f"{path.stem}:{lineno}", source, "malformed JSON line")
                continue
            if not isinstance(obj, dict) or "id" not in obj:
                yield InputError(f"{path.stem}:{lineno}", source, "line has no id")
                continue
            doc_id = str(obj["id"])
            try:
                text = resolve_text(obj, texts_dir)
                if "entities" in obj:
                    yield from_record(obj, text)
                elif "spans" in obj:
                    yield from_gold({**obj, "text": text})
                else:
                    yield InputError(doc_id, source, "neither an annotation record nor a gold line")
            except AnnotationsError as exc:
                yield InputError(doc_id, source, str(exc))
            except (KeyError, TypeError, IndexError) as exc:
                yield InputError(doc_id, source, f"malformed line ({type(exc).__name__})")
