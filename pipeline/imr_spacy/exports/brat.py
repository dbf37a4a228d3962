"""brat standoff: ``ID.txt`` and ``ID.ann`` per document, plus ``annotation.conf``.

``T`` lines hold the spans (a span across line breaks is written as fragments split at the
newlines, as brat wants; reading joins them back), ``R`` lines the relations, ``A`` lines the
ConText flags (``Negated``, ``Historical``, ``Hypothetical``, ``Family``, ``Uncertain``), the
``Outcome`` of ITEM/DECISION spans and the ``DateRole`` of dates; the other attributes are JSON
in an ``AnnotatorNotes`` (``#``) line. File names are the ids, percent-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from ..extensions import CONTEXT_ATTRS, DATE_ROLES, OUTCOMES, SCHEMA_LABELS
from .common import (
    ITEM_LABEL,
    RELATION_ARGS,
    Annotated,
    SpanAnn,
    from_tool_view,
    tool_view,
)

CONF_FILE = "annotation.conf"
FLAG_NAMES = {name: name.removeprefix("is_").capitalize() for name in CONTEXT_ATTRS}
FLAG_NAMES["is_negated"] = "Negated"
VALUED = {"outcome": "Outcome", "date_role": "DateRole"}
NAME_ATTR = {**{v: k for k, v in FLAG_NAMES.items()}, **{v: k for k, v in VALUED.items()}}


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``start``-``end`` split at newlines, without the whitespace around each break."""
    out: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        a, b = pos, stop
        if out or nl >= 0:  # inner fragment edges lose their whitespace
            if out:
                while a < b and text[a].isspace():
                    a += 1
            if nl >= 0:
                while b > a and text[b - 1].isspace():
                    b -= 1
        if b > a:
            out.append((a, b))
        pos = end if nl < 0 else nl + 1
    return out or [(start, end)]


def annotation_conf(labels: Iterable[str] = (), relations: Iterable[str] = ()) -> str:
    """brat's ``annotation.conf`` for the labels, relations and attributes used here."""
    all_labels = list(dict.fromkeys([*SCHEMA_LABELS, ITEM_LABEL, *labels]))
    lines = ["[entities]", *all_labels, "", "[relations]"]
    for rel in dict.fromkeys([*RELATION_ARGS, *relations]):
        heads, children = RELATION_ARGS.get(rel, (("<ENTITY>",), ("<ENTITY>",)))
        lines.append(f"{rel}\tArg1:{'|'.join(heads)}, Arg2:{'|'.join(children)}")
    lines += ["<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>", "", "[events]", "", "[attributes]"]
    lines += [f"{name}\tArg:<ENTITY>" for name in FLAG_NAMES.values()]
    lines.append(f"Outcome\tArg:DECISION|{ITEM_LABEL}, Value:{'|'.join(OUTCOMES)}")
    lines.append(f"DateRole\tArg:DATE, Value:{'|'.join(DATE_ROLES)}")
    return "\n".join(lines) + "\n"


def to_ann(doc: Annotated) -> str:
    """The ``.ann`` text of a document."""
    view = tool_view(doc)
    lines: list[str] = []
    n_attr = n_note = 0
    for i, s in enumerate(view.spans):
        tid = f"T{i + 1}"
        frags = fragments(doc.text, s.start, s.end)
        where = ";".join(f"{a} {b}" for a, b in frags)
        lines.append(f"{tid}\t{s.label} {where}\t{' '.join(doc.text[a:b] for a, b in frags)}")
        rest: dict[str, Any] = {}
        for name, value in s.attrs.items():
            if name in FLAG_NAMES:
                if value:
                    n_attr += 1
                    lines.append(f"A{n_attr}\t{FLAG_NAMES[name]} {tid}")
            elif name in VALUED and isinstance(value, str) and value and " " not in value:
                n_attr += 1
                lines.append(f"A{n_attr}\t{VALUED[name]} {tid} {value}")
            else:
                rest[name] = value
        if rest:
            n_note += 1
            lines.append(f"#{n_note}\tAnnotatorNotes {tid}\t{json.dumps(rest, ensure_ascii=False)}")
    for n, (h, c, label) in enumerate(view.relations, start=1):
        lines.append(f"R{n}\t{label} Arg1:T{h + 1} Arg2:T{c + 1}")
    return "\n".join(lines) + ("\n" if lines else "")


def file_stem(doc_id: str) -> str:
    """The file name (without suffix) of a document id."""
    return quote(doc_id, safe="-_.+=@,")


def export(docs: Iterable[Annotated], out: Path) -> int:
    """Write ``OUT/ID.txt``, ``OUT/ID.ann`` and ``OUT/annotation.conf``; returns the count."""
    out.mkdir(parents=True, exist_ok=True)
    labels: set[str] = set()
    relations: set[str] = set()
    n = 0
    for doc in docs:
        stem = file_stem(doc.id)
        with (out / f"{stem}.txt").open("w", encoding="utf-8", newline="") as fh:
            fh.write(doc.text)
        ann = to_ann(doc)
        (out / f"{stem}.ann").write_text(ann, encoding="utf-8")
        for line in ann.splitlines():
            kind, _, rest = line.partition("\t")
            if kind.startswith("T"):
                labels.add(rest.split(" ", 1)[0])
            elif kind.startswith("R"):
                relations.add(rest.split(" ", 1)[0])
        n += 1
    (out / CONF_FILE).write_text(annotation_conf(sorted(labels), sorted(relations)), encoding="utf-8")
    return n


def from_ann(doc_id: str, text: str, ann: str) -> Annotated:
    """The document of a ``.txt`` text and its ``.ann`` annotations."""
    spans: list[SpanAnn] = []
    index: dict[str, int] = {}
    rels: list[tuple[str, str, str]] = []
    attrs: list[tuple[str, str, str | None]] = []
    notes: list[tuple[str, str]] = []
    for line in ann.splitlines():
        kind, _, rest = line.partition("\t")
        if kind.startswith("T"):
            head = rest.split("\t", 1)[0]
            label, _, where = head.partition(" ")
            offsets = [int(x) for frag in where.split(";") for x in frag.split()]
            index[kind] = len(spans)
            spans.append(SpanAnn(min(offsets), max(offsets), label, {}))
        elif kind.startswith("R"):
            label, arg1, arg2 = rest.split("\t", 1)[0].split()
            rels.append((arg1.split(":", 1)[1], arg2.split(":", 1)[1], label))
        elif kind.startswith("A") or kind.startswith("M"):
            parts = rest.split("\t", 1)[0].split()
            attrs.append((parts[0], parts[1], parts[2] if len(parts) > 2 else None))
        elif kind.startswith("#"):
            head, _, note = rest.partition("\t")
            notes.append((head.split()[-1], note))
    for target, note in notes:
        if target in index:
            try:
                value = json.loads(note)
            except ValueError:
                value = {"note": note}
            if isinstance(value, dict):
                spans[index[target]].attrs.update(value)
    for name, target, value in attrs:
        if target in index and name in NAME_ATTR:
            spans[index[target]].attrs[NAME_ATTR[name]] = True if value is None else value
    relations = [(index[a], index[b], label) for a, b, label in rels if a in index and b in index]
    return from_tool_view(doc_id, text, spans, relations, {})


def read(folder: Path) -> Iterator[Annotated]:
    """Documents of a brat folder (every ``.ann`` with its ``.txt``), in file-name order."""
    for ann_path in sorted(Path(folder).glob("*.ann")):
        with ann_path.with_suffix(".txt").open(encoding="utf-8", newline="") as fh:
            text = fh.read()
        yield from_ann(unquote(ann_path.stem), text, ann_path.read_text(encoding="utf-8"))
