"""An HTML page of one annotated letter: displaCy entity marks per section, decisions, case facts.

Negated entities are struck through in red and carry their trigger in the ``title`` attribute
(``mark.imr-negated``); other ConText flags add ``imr-historical``, ``imr-hypothetical``,
``imr-family`` and ``imr-uncertain``. The decision table is ``table#decisions``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from spacy import displacy
from spacy.tokens import Doc, Span

from .context import CATEGORY_ATTR
from .extensions import CONTEXT_ATTRS, LABEL_COLORS

COLORS = LABEL_COLORS
FLAG_TAG = {
    "is_negated": "NEG",
    "is_historical": "HIST",
    "is_hypothetical": "HYP",
    "is_family": "FAM",
    "is_uncertain": "UNC",
}
ENT_TEMPLATE = (
    '<mark class="entity imr-ent {classes}" data-label="{label}" title="{tip}" style="background: {bg}; '
    'padding: 0.3em 0.45em; margin: 0 0.2em; line-height: 1.1; border-radius: 0.35em;">{text}'
    '<span class="imr-label">{label}</span>{flags}</mark>'
)
CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; } th, td { border: 1px solid #bbb; padding: 0.3rem 0.6rem;
 text-align: left; vertical-align: top; } th { background: #f2f2f2; }
.imr-label { font-size: 0.7em; font-weight: bold; margin-left: 0.4rem; vertical-align: middle; }
.imr-flag { font-size: 0.65em; font-weight: bold; margin-left: 0.25rem; padding: 0 0.2em; border-radius: 0.2em;
 background: #fff; color: #555; }
mark.imr-negated { text-decoration: line-through; text-decoration-color: #d00; text-decoration-thickness: 2px;
 outline: 2px solid #d00; }
mark.imr-negated .imr-flag { color: #d00; }
mark.imr-hypothetical, mark.imr-uncertain { outline: 2px dashed #888; }
td.outcome-upheld { color: #a00; font-weight: bold; } td.outcome-overturned { color: #070; font-weight: bold; }
td.outcome-partial { color: #a60; font-weight: bold; }
.imr-section .entities { line-height: 2.4; }
"""


def _flags(span: Span) -> list[str]:
    return [name for name in CONTEXT_ATTRS if getattr(span._, name)]


def _tip(span: Span) -> str:
    parts = [span.label_]
    cues = span._.context_cues or []
    for name in _flags(span):
        triggers = [
            str(c.get("trigger") or c.get("literal") or "")
            for c in cues
            if _category_attr(c.get("category", "")) == name
        ]
        word = name.removeprefix("is_")
        parts.append(f"{word} (trigger: {', '.join(triggers)})" if triggers else word)
    return "; ".join(parts)


def _trigger(cue: dict[str, Any]) -> str:
    return str(cue.get("trigger") or cue.get("literal") or "")


def _category_attr(category: str) -> str:
    return CATEGORY_ATTR.get(category, "")


def section_blocks(doc: Doc) -> list[tuple[int, int, str | None]]:
    """(start, end, title) covering the whole text: the sections, and the gaps between them."""
    blocks: list[tuple[int, int, str | None]] = []
    pos = 0
    for start, end, title in sorted(doc._.section_bounds or [], key=lambda b: b[0]):
        if start > pos:
            blocks.append((pos, start, None))
        if end > max(start, pos):
            blocks.append((max(start, pos), end, title))
            pos = end
    size = len(doc.text)
    if pos < size:
        blocks.append((pos, size, None))
    # an entity runs into the next block: widen the block it starts in
    ents = doc.ents
    out: list[tuple[int, int, str | None]] = []
    for start, end, title in blocks:
        if out and start < out[-1][1]:
            start = out[-1][1]
            if start >= end:
                continue
        reach = max([e.end_char for e in ents if start <= e.start_char < end] + [end])
        out.append((start, reach, title))
    return out


def render_entities(doc: Doc, start: int, end: int) -> str:
    """displaCy markup of the text between ``start`` and ``end`` with its entities."""
    ents = []
    for ent in doc.ents:
        if start <= ent.start_char < end:
            flags = _flags(ent)
            ents.append(
                {
                    "start": ent.start_char - start,
                    "end": ent.end_char - start,
                    "label": ent.label_,
                    "params": {
                        "classes": " ".join(f"imr-{f.removeprefix('is_')}" for f in flags),
                        "tip": escape(_tip(ent), quote=True),
                        "flags": "".join(f'<span class="imr-flag">{FLAG_TAG[f]}</span>' for f in flags),
                    },
                }
            )
    data = {"text": doc.text[start:end], "ents": ents, "title": None}
    options = {"colors": COLORS, "template": ENT_TEMPLATE}
    return displacy.render(data, style="ent", manual=True, page=False, jupyter=False, options=options)


def _span_text(span: Span | None) -> str:
    return "" if span is None else escape(" ".join(span.text.split()))


def decisions_table(doc: Doc) -> str:
    """``table#decisions``: item, outcome, guidelines, treatment and count of each decision."""
    rows = []
    for n, dec in enumerate(doc._.decisions, start=1):
        cites = "; ".join(_span_text(g) for g in dec.get("guidelines") or [] if g is not None)
        outcome = escape(str(dec.get("outcome") or ""))
        rows.append(
            f'<tr class="imr-decision"><td>{n}</td><td class="item">{_span_text(dec.get("item"))}</td>'
            f'<td class="outcome outcome-{outcome}">{outcome}</td><td class="guidelines">{cites}</td>'
            f"<td>{_span_text(dec.get('treatment'))}</td><td>{_span_text(dec.get('count'))}</td></tr>"
        )
    if not rows:
        rows.append('<tr class="imr-empty"><td colspan="6">No decisions found.</td></tr>')
    head = "<tr><th>#</th><th>Item</th><th>Outcome</th><th>Guidelines</th><th>Treatment</th><th>Count</th></tr>"
    return f'<table id="decisions">{head}{"".join(rows)}</table>'


def case_table(doc: Doc) -> str:
    """``table#case``: the case facts."""
    case: dict[str, Any] = doc._.case or {}
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in case.items())
    return f'<table id="case">{rows or "<tr><td>No case facts found.</td></tr>"}</table>'


def render_page(doc: Doc, title: str) -> str:
    """The whole HTML page of an annotated letter."""
    blocks = section_blocks(doc)
    nav = "".join(
        f'<li><a href="#section-{i}">{escape(t or "(no section)")}</a></li>' for i, (_, _, t) in enumerate(blocks)
    )
    sections = "".join(
        f'<section class="imr-section" id="section-{i}" data-title="{escape(t or "", quote=True)}">'
        f"<h2>{escape(t or '(no section)')}</h2>{render_entities(doc, s, e)}</section>"
        for i, (s, e, t) in enumerate(blocks)
    )
    legend = "".join(
        f'<mark class="entity" style="background: {c}; padding: 0.2em 0.4em; margin: 0.1em">{lab}</mark>'
        for lab, c in COLORS.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="imr-legend">{legend} <mark class="entity imr-negated" '
        'style="background: #fff; padding: 0.2em 0.4em">negated</mark></p>'
        f"<h2>Decisions</h2>{decisions_table(doc)}<h2>Case facts</h2>{case_table(doc)}"
        f'<h2>Sections</h2><ol id="sections">{nav}</ol>{sections}</body></html>\n'
    )
