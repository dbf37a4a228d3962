"""Label Studio: tasks with ``predictions`` and the labeling config that reads them.

``export`` writes ``tasks.json`` (import it into a project) and ``labeling_config.xml`` (the
project's labeling interface). Each span is a ``labels`` region; its ConText flags are a
per-region multiple ``Choices`` (``context``), its outcome a per-region ``Choices`` (``outcome``),
its other attributes JSON in a per-region ``TextArea`` (``attrs``); relations are ``relation``
results with one label. Offsets are UTF-16 code units, as Label Studio counts them in the browser.
Import reads Label Studio's JSON export: each task's latest annotation that was not cancelled, or
its first prediction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from ..extensions import CONTEXT_ATTRS, LABEL_COLORS, OUTCOMES, SCHEMA_LABELS
from .common import RELATION_ARGS, Annotated, SpanAnn, from_tool_view, tool_view

TASKS_FILE = "tasks.json"
CONFIG_FILE = "labeling_config.xml"
FLAG_CHOICE = {name: name.removeprefix("is_") for name in CONTEXT_ATTRS}
CHOICE_FLAG = {v: k for k, v in FLAG_CHOICE.items()}
COLORS = {**LABEL_COLORS, "ITEM": "#c887fb"}


class Utf16Offsets:
    """Code point offsets <-> UTF-16 code unit offsets of one text."""

    def __init__(self, text: str) -> None:
        self.identity = all(ord(ch) < 0x10000 for ch in text)
        self.units: list[int] = []
        if not self.identity:
            total = 0
            for ch in text:
                self.units.append(total)
                total += 2 if ord(ch) >= 0x10000 else 1
            self.units.append(total)
            self.points = {u: i for i, u in enumerate(self.units)}

    def to_units(self, i: int) -> int:
        return i if self.identity else self.units[i]

    def to_points(self, u: int) -> int:
        return u if self.identity else self.points[u]


def labeling_config(labels: Iterable[str] = (), relations: Iterable[str] = ()) -> str:
    """The labeling config XML for the SCHEMA labels, ITEM and ``labels``, and the relations."""
    all_labels = list(dict.fromkeys([*SCHEMA_LABELS, "ITEM", *labels]))
    all_relations = list(dict.fromkeys([*RELATION_ARGS, *relations]))
    lines = ["<View>", '  <Labels name="label" toName="text">']
    for label in all_labels:
        lines.append(f"    <Label value={quoteattr(label)} background={quoteattr(COLORS.get(label, '#ccc'))}/>")
    lines += ["  </Labels>", '  <Text name="text" value="$text"/>', "  <Relations>"]
    lines += [f"    <Relation value={quoteattr(r)}/>" for r in all_relations]
    lines += [
        "  </Relations>",
        '  <View visibleWhen="region-selected">',
        '    <Header value="ConText"/>',
        '    <Choices name="context" toName="text" perRegion="true" choice="multiple">',
        *[f"      <Choice value={quoteattr(c)}/>" for c in FLAG_CHOICE.values()],
        "    </Choices>",
        '    <Header value="Outcome (ITEM, DECISION)"/>',
        '    <Choices name="outcome" toName="text" perRegion="true" choice="single">',
        *[f"      <Choice value={quoteattr(o)}/>" for o in OUTCOMES],
        "    </Choices>",
        '    <Header value="Other attributes (JSON)"/>',
        '    <TextArea name="attrs" toName="text" perRegion="true" editable="true" maxSubmissions="1"/>',
        "  </View>",
        "</View>",
    ]
    return "\n".join(lines) + "\n"


def to_task(doc: Annotated, model_version: str = "en_imr_pipeline") -> dict[str, Any]:
    """The Label Studio task of a document, its annotations as a prediction."""
    view = tool_view(doc)
    conv = Utf16Offsets(doc.text)
    result: list[dict[str, Any]] = []
    for i, s in enumerate(view.spans):
        value = {"start": conv.to_units(s.start), "end": conv.to_units(s.end), "text": doc.text[s.start : s.end]}
        region = {"id": f"s{i}", "from_name": "label", "to_name": "text", "type": "labels"}
        result.append({**region, "value": {**value, "labels": [s.label]}})
        flags = [FLAG_CHOICE[name] for name in CONTEXT_ATTRS if s.attrs.get(name)]
        if flags:
            result.append({**region, "from_name": "context", "type": "choices", "value": {**value, "choices": flags}})
        if s.attrs.get("outcome"):
            outcome = {**value, "choices": [s.attrs["outcome"]]}
            result.append({**region, "from_name": "outcome", "type": "choices", "value": outcome})
        rest = {k: v for k, v in s.attrs.items() if k not in CONTEXT_ATTRS and k != "outcome"}
        if rest:
            text = {**value, "text": [json.dumps(rest, ensure_ascii=False)]}
            result.append({**region, "from_name": "attrs", "type": "textarea", "value": text})
    for h, c, label in view.relations:
        result.append(
            {"type": "relation", "from_id": f"s{h}", "to_id": f"s{c}", "direction": "right", "labels": [label]}
        )
    return {
        "data": {"text": doc.text, "doc_id": doc.id},
        "predictions": [{"model_version": model_version, "result": result}],
    }


def export(docs: Iterable[Annotated], out: Path, model_version: str = "en_imr_pipeline") -> int:
    """Write ``OUT/tasks.json`` and ``OUT/labeling_config.xml``; returns the number of tasks."""
    out.mkdir(parents=True, exist_ok=True)
    tasks, labels, relations = [], set(), set()
    for doc in docs:
        task = to_task(doc, model_version)
        for r in task["predictions"][0]["result"]:
            labels.update(r["value"]["labels"] if r.get("type") == "labels" else [])
            relations.update(r["labels"] if r.get("type") == "relation" else [])
        tasks.append(task)
    (out / TASKS_FILE).write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / CONFIG_FILE).write_text(labeling_config(sorted(labels), sorted(relations)), encoding="utf-8")
    return len(tasks)


def _results(task: dict[str, Any]) -> list[dict[str, Any]]:
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if annotations:
        return annotations[-1].get("result") or []
    predictions = task.get("predictions") or []
    return predictions[0].get("result") or [] if predictions else []


def from_task(task: dict[str, Any], fallback_id: str) -> Annotated:
    """The document of a Label Studio task (export format)."""
    data = task["data"]
    text = data["text"]
    conv = Utf16Offsets(text)
    spans: list[SpanAnn] = []
    index: dict[str, int] = {}
    extra: dict[str, list[dict[str, Any]]] = {}
    relations_raw = []
    for r in _results(task):
        if r.get("type") == "relation":
            relations_raw.append(r)
        elif r.get("type") == "labels":
            v = r["value"]
            index[r["id"]] = len(spans)
            spans.append(SpanAnn(conv.to_points(v["start"]), conv.to_points(v["end"]), v["labels"][0], {}))
        else:
            extra.setdefault(r.get("id", ""), []).append(r)
    for rid, i in index.items():
        attrs = spans[i].attrs
        for r in extra.get(rid, []):
            v = r.get("value", {})
            if r.get("from_name") == "context":
                attrs.update({CHOICE_FLAG[c]: True for c in v.get("choices", []) if c in CHOICE_FLAG})
            elif r.get("from_name") == "outcome" and v.get("choices"):
                attrs["outcome"] = v["choices"][0]
            elif r.get("from_name") == "attrs" and v.get("text"):
                try:
                    attrs.update(json.loads(v["text"][0]))
                except ValueError:
                    attrs["note"] = v["text"][0]
    relations = []
    for r in relations_raw:
        head, child = index.get(r.get("from_id", "")), index.get(r.get("to_id", ""))
        if head is None or child is None or not r.get("labels"):
            continue
        if r.get("direction") == "left":
            head, child = child, head
        relations.append((head, child, r["labels"][0]))
    doc_id = str(data.get("doc_id") or task.get("id") or fallback_id)
    return from_tool_view(doc_id, text, spans, relations, {})


def read(path: Path) -> Iterator[Annotated]:
    """Documents of a Label Studio JSON export (a list of tasks), or of ``tasks.json`` in a folder."""
    path = Path(path)
    if path.is_dir():
        path = path / TASKS_FILE
    tasks = json.loads(path.read_text(encoding="utf-8"))
    for n, task in enumerate(tasks, start=1):
        yield from_task(task, f"{path.stem}:{n}")
