"""doccano relation-extraction JSONL: ``entities`` (id, label, start_offset, end_offset) and
``relations`` (id, from_id, to_id, type).

doccano edits no span attributes: they travel in ``imr_attrs`` (kept as metadata by doccano) and
come back to the spans whose offsets and label are unchanged. ``doc_id`` holds the document id.
Import also reads doccano's plain sequence-labelling export (``"label": [[start, end, label]]``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .common import Annotated, SpanAnn, from_tool_view, tool_view, write_jsonl


def to_line(doc: Annotated) -> dict[str, Any]:
    """The doccano line of a document."""
    view = tool_view(doc)
    return {
        "doc_id": doc.id,
        "text": doc.text,
        "entities": [
            {"id": i + 1, "label": s.label, "start_offset": s.start, "end_offset": s.end}
            for i, s in enumerate(view.spans)
        ],
        "relations": [
            {"id": i + 1, "from_id": h + 1, "to_id": c + 1, "type": label}
            for i, (h, c, label) in enumerate(view.relations)
        ],
        "imr_attrs": [{"start": s.start, "end": s.end, "label": s.label, "attrs": s.attrs} for s in view.spans],
    }


def export(docs: Iterable[Annotated], out: Path) -> int:
    """Write one line per document to the JSONL file ``out``; returns the count."""
    return write_jsonl(docs, out, to_line)


def from_line(line: dict[str, Any], fallback_id: str) -> Annotated:
    """The document of a doccano line."""
    attrs = {(a["start"], a["end"], a["label"]): a.get("attrs", {}) for a in line.get("imr_attrs", [])}
    spans: list[SpanAnn] = []
    ids: dict[Any, int] = {}
    for ent in line.get("entities", []):
        key = (ent["start_offset"], ent["end_offset"], ent["label"])
        ids[ent.get("id")] = len(spans)
        spans.append(SpanAnn(*key, dict(attrs.get(key, {}))))
    for start, end, label in line.get("label", []):
        spans.append(SpanAnn(start, end, label, dict(attrs.get((start, end, label), {}))))
    relations = [
        (ids[r["from_id"]], ids[r["to_id"]], r["type"])
        for r in line.get("relations", [])
        if r.get("from_id") in ids and r.get("to_id") in ids
    ]
    doc_id = str(line.get("doc_id") or line.get("id") or fallback_id)
    return from_tool_view(doc_id, line["text"], spans, relations, {})


def read(path: Path) -> Iterator[Annotated]:
    """Documents of a doccano JSONL export."""
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                yield from_line(json.loads(line), f"{Path(path).stem}:{lineno}")
