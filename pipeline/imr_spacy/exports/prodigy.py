"""Prodigy JSONL: ``tokens``, ``spans`` (token_start/token_end, inclusive) and ``relations``.

A relation names its head and child by the index of their last token (``head``, ``child``, as
Prodigy's ``rel.manual`` does) and carries both spans. Span attributes ride along in each span's
``attrs`` (Prodigy keeps unknown keys). Import reads tasks whose ``answer`` is ``accept`` (or that
have none).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .common import Annotated, SpanAnn, from_tool_view, span_cuts, tool_view, write_jsonl
from .tokens import aligned_tokens, imr_tokenizer_nlp


def to_task(doc: Annotated) -> dict[str, Any]:
    """The Prodigy task of a document."""
    view = tool_view(doc)
    tokens = aligned_tokens(imr_tokenizer_nlp(), doc.text, span_cuts(view.spans))
    first = {s: i for i, (s, _, _) in enumerate(tokens)}
    last = {e: i for i, (_, e, _) in enumerate(tokens)}
    spans = []
    for s in view.spans:
        spans.append(
            {
                "start": s.start,
                "end": s.end,
                "token_start": first[s.start],
                "token_end": last[s.end] if s.end > s.start else first[s.start],
                "label": s.label,
                "attrs": s.attrs,
            }
        )

    def bare(span: dict[str, Any]) -> dict[str, Any]:
        return {k: span[k] for k in ("start", "end", "token_start", "token_end", "label")}

    relations = [
        {
            "head": spans[h]["token_end"],
            "child": spans[c]["token_end"],
            "head_span": bare(spans[h]),
            "child_span": bare(spans[c]),
            "label": label,
        }
        for h, c, label in view.relations
    ]
    return {
        "text": doc.text,
        "meta": {"id": doc.id},
        "tokens": [
            {"text": doc.text[s:e], "start": s, "end": e, "id": i, "ws": ws} for i, (s, e, ws) in enumerate(tokens)
        ],
        "spans": spans,
        "relations": relations,
    }


def export(docs: Iterable[Annotated], out: Path) -> int:
    """Write one task per document to the JSONL file ``out``; returns the count."""
    return write_jsonl(docs, out, to_task)


def from_task(task: dict[str, Any], fallback_id: str) -> Annotated:
    """The document of a (corrected) Prodigy task."""
    spans = [SpanAnn(s["start"], s["end"], s["label"], dict(s.get("attrs", {}))) for s in task.get("spans", [])]
    index = {s.key: i for i, s in enumerate(spans)}
    by_last_token = {s["token_end"]: i for i, s in enumerate(task.get("spans", [])) if "token_end" in s}
    relations = []
    for rel in task.get("relations", []):
        head = _endpoint(rel, "head", index, by_last_token)
        child = _endpoint(rel, "child", index, by_last_token)
        if head is not None and child is not None:
            relations.append((head, child, rel["label"]))
    doc_id = str((task.get("meta") or {}).get("id") or task.get("_input_hash") or fallback_id)
    return from_tool_view(doc_id, task["text"], spans, relations, {})


def _endpoint(rel: dict[str, Any], role: str, index: dict[Any, int], by_last_token: dict[int, int]) -> int | None:
    span = rel.get(f"{role}_span")
    if span is not None:
        found = index.get((span["start"], span["end"], span["label"]))
        if found is not None:
            return found
    return by_last_token.get(rel.get(role, -1))


def read(path: Path) -> Iterator[Annotated]:
    """Documents of a Prodigy JSONL export (accepted tasks only)."""
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            task = json.loads(line)
            if task.get("answer", "accept") != "accept":
                continue
            yield from_task(task, f"{Path(path).stem}:{lineno}")
