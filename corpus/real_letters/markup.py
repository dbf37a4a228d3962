"""Inline markup of a gold record, for correcting annotations by hand in a text editor.

A span is written ``⟦LABEL attrs|text⟧`` in place, so the file reads like the letter. ``attrs`` are
space-separated: ``neg`` (``is_negated``), ``iso=``, ``role=`` (``date_role``), ``min=``/``max=``
(``count_min``/``count_max``), ``reflex=``, ``grade=``, ``side=``, ``guideline=``, ``pages=98,99``,
``outcome=``; ``~`` stands for a space inside a value ("deep~tendon"). A disputed item is
``⟦ITEM n|...⟧`` around its text (it holds the item's TREATMENT and VISIT_COUNT spans); its DECISION
carries ``item=n`` and every GUIDELINE_CITE its decision rests on ``for=n`` (``for=1,2`` for several).
Removing the markup gives back the text exactly; :func:`parse` checks that against the record's SHA-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_spacy.model_merge import OPEN_LABELS
from imr_spacy.records import text_sha1

OPEN, SEP, CLOSE = "⟦", "|", "⟧"
ITEM = "ITEM"

#: markup key -> record attribute, and how its value is read.
_KEYS: dict[str, str] = {
    "iso": "iso",
    "role": "date_role",
    "min": "count_min",
    "max": "count_max",
    "reflex": "reflex",
    "grade": "grade",
    "side": "side",
    "guideline": "guideline",
    "pages": "pages",
    "outcome": "outcome",
}
_ATTR_KEY = {attr: key for key, attr in _KEYS.items()}
_INTS = {"count_min", "count_max"}


class MarkupError(ValueError):
    """A markup file that cannot be read back; the message gives the line (1-based) of the markup."""


def _value(attr: str, raw: str) -> Any:
    if attr in _INTS:
        return int(raw)
    if attr == "pages":
        return [int(p) for p in raw.split(",") if p]
    if raw in ("None", ""):
        return None
    return raw.replace("~", " ")


def _raw(attr: str, value: Any) -> str:
    if attr == "pages":
        return ",".join(str(p) for p in value or [])
    return "None" if value is None else str(value).replace(" ", "~")


def _header(label: str, attrs: dict[str, Any], extra: list[str]) -> str:
    parts = [label]
    if attrs.get("is_negated"):
        parts.append("neg")
    parts += [f"{_ATTR_KEY[name]}={_raw(name, v)}" for name, v in attrs.items() if name in _ATTR_KEY]
    return " ".join(parts + extra)


def to_markup(record: dict[str, Any]) -> str:
    """The markup of a gold record (``text``, ``spans`` with ``attrs``, ``decisions``).

    Raises ValueError when a decision item is not nested with the spans (it crosses one).
    """
    text = record["text"]
    extra: dict[tuple[int, int, str], list[str]] = {}
    marks: list[tuple[int, int, str]] = [(s["start"], s["end"], s["label"]) for s in record["spans"]]
    headers = {(s["start"], s["end"], s["label"]): s.get("attrs", {}) for s in record["spans"]}
    for n, dec in enumerate(record.get("decisions", []), start=1):
        a, b = dec["item"]
        marks.append((a, b, ITEM))
        extra[(a, b, ITEM)] = [str(n)]
        for g in dec.get("guidelines", []):
            extra.setdefault((g[0], g[1], "GUIDELINE_CITE"), []).append(str(n))
        if dec.get("decision"):
            a2, b2 = dec["decision"]
            extra.setdefault((a2, b2, "DECISION"), []).append(str(n))
    opens: dict[int, list[tuple[int, int, str]]] = {}
    closes: dict[int, list[tuple[int, int, str]]] = {}
    for m in marks:
        opens.setdefault(m[0], []).append(m)
        closes.setdefault(m[1], []).append(m)
    out: list[str] = []
    stack: list[tuple[int, int, str]] = []
    done = 0
    for i in sorted(opens.keys() | closes.keys()):
        out.append(text[done:i])
        done = i
        for m in sorted(closes.get(i, []), key=lambda m: -m[0]):  # inner (later start) closes first
            if not stack or stack[-1] != m:
                raise ValueError(f"span {m[2]}[{m[0]}:{m[1]}] crosses another")
            stack.pop()
            out.append(CLOSE)
        for m in sorted(opens.get(i, []), key=lambda m: (-m[1], m[2] != ITEM)):  # outer opens first
            out.append(OPEN + _marker(m, headers.get(m, {}), extra.get(m, [])) + SEP)
            stack.append(m)
    out.append(text[done:])
    return "".join(out)


def _marker(m: tuple[int, int, str], attrs: dict[str, Any], nums: list[str]) -> str:
    label = m[2]
    if label == ITEM:
        return f"{ITEM} {nums[0]}"
    extra = []
    if nums and label == "DECISION":
        extra = [f"item={nums[0]}"]
    elif nums and label == "GUIDELINE_CITE":
        extra = ["for=" + ",".join(nums)]
    return _header(label, attrs, extra)


@dataclass
class _Open:
    start: int
    header: str
    line: int


def parse(markup: str, expected_sha1: str | None = None) -> dict[str, Any]:
    """``{"text", "spans", "decisions"}`` from markup; raises :class:`MarkupError` on a malformed file."""
    text: list[str] = []
    pos = 0
    line = 1
    stack: list[_Open] = []
    found: list[tuple[int, int, str, int]] = []
    i = 0
    while i < len(markup):
        ch = markup[i]
        if ch == OPEN:
            j = markup.find(SEP, i)
            nl = markup.find("\n", i)
            if j < 0 or (0 <= nl < j):
                raise MarkupError(f"line {line}: '{OPEN}' without '{SEP}' on the same line")
            stack.append(_Open(pos, markup[i + 1 : j].strip(), line))
            i = j + 1
            continue
        if ch == CLOSE:
            if not stack:
                raise MarkupError(f"line {line}: '{CLOSE}' without '{OPEN}'")
            o = stack.pop()
            found.append((o.start, pos, o.header, o.line))
            i += 1
            continue
        if ch == "\n":
            line += 1
        text.append(ch)
        pos += 1
        i += 1
    if stack:
        raise MarkupError(f"line {stack[-1].line}: '{OPEN}' never closed")
    plain = "".join(text)
    if expected_sha1 is not None and text_sha1(plain) != expected_sha1:
        raise MarkupError("the text without markup differs from the letter (only markup may be edited)")
    return _record(plain, found)


def _record(text: str, found: list[tuple[int, int, str, int]]) -> dict[str, Any]:
    spans: list[dict[str, Any]] = []
    items: dict[int, tuple[int, int]] = {}
    outcome_of: dict[int, tuple[str, tuple[int, int]]] = {}
    cites_of: dict[int, list[list[int]]] = {}
    for start, end, header, line in sorted(found):
        label, *parts = header.split()
        if label == ITEM:
            if len(parts) != 1 or not parts[0].isdigit():
                raise MarkupError(f"line {line}: ITEM needs one number")
            items[int(parts[0])] = (start, end)
            continue
        attrs: dict[str, Any] = {"is_negated": False} if label in OPEN_LABELS else {}
        decides: int | None = None
        for part in parts:
            key, eq, raw = part.partition("=")
            if not eq:
                if key != "neg":
                    raise MarkupError(f"line {line}: unknown flag {key!r}")
                attrs["is_negated"] = True
            elif key == "item" and label == "DECISION":
                decides = int(raw)
            elif key == "for" and label == "GUIDELINE_CITE":
                for n in raw.split(","):
                    cites_of.setdefault(int(n), []).append([start, end])
            elif key in _KEYS:
                try:
                    attrs[_KEYS[key]] = _value(_KEYS[key], raw)
                except ValueError as exc:
                    raise MarkupError(f"line {line}: bad value for {key}") from exc
            else:
                raise MarkupError(f"line {line}: unknown attribute {key!r}")
        if decides is not None:
            outcome_of[decides] = (attrs.get("outcome", ""), (start, end))
        spans.append({"start": start, "end": end, "label": label, "attrs": attrs})
    decisions = []
    for n in sorted(items):
        if n not in outcome_of:
            raise MarkupError(f"ITEM {n} has no DECISION with item={n}")
        outcome, where = outcome_of[n]
        # "decision" (the DECISION span) is kept for the markup round trip; gold files leave it out.
        decisions.append(
            {"item": list(items[n]), "outcome": outcome, "decision": list(where), "guidelines": cites_of.get(n, [])}
        )
    for n in set(outcome_of) - set(items):
        raise MarkupError(f"DECISION item={n} has no ITEM {n}")
    return {"text": text, "spans": spans, "decisions": decisions}
