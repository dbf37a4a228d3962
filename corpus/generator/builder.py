"""Annotated text assembly and PDF-style layout with offsets kept by construction.

A letter is a list of :class:`Block` (paragraphs or fixed lines), each a list of :class:`Frag`
(text with an optional label and attributes, or a zero-width marker). :func:`layout` wraps
each block at about 95 characters the way the PDF text layer does (newer format: ``" \\n"``;
older format: ``" \\n\\n"``, a blank line between lines; hyphenated words and, in the older
format, some long words split across lines) and maps every span through the edit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Frag:
    """A piece of text; ``label`` makes it an entity; ``mark`` makes it a zero-width marker."""

    text: str = ""
    label: str | None = None
    attrs: dict[str, Any] | None = None
    mark: str | None = None
    tag: str | None = None


@dataclass
class Block:
    """A paragraph (``wrap=True``) or a fixed line, in a section (None for the header)."""

    frags: list[Frag]
    section: str | None
    wrap: bool = True
    blank_after: bool = True
    end: str | None = None  # line ending override for fixed lines


@dataclass
class Span:
    start: int
    end: int
    label: str
    attrs: dict[str, Any]
    tag: str | None = None


@dataclass
class Laid:
    """A laid-out letter: text, entity spans, markers (name -> offset) and cite tags."""

    text: str
    spans: list[Span] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)


def flatten(frags: list[Frag]) -> tuple[str, list[Span], list[tuple[str, int]]]:
    """Concatenate fragments: text, spans and markers in flat offsets."""
    parts: list[str] = []
    spans: list[Span] = []
    marks: list[tuple[str, int]] = []
    pos = 0
    for f in frags:
        if f.mark:
            marks.append((f.mark, pos))
            continue
        if f.label:
            spans.append(Span(pos, pos + len(f.text), f.label, dict(f.attrs or {}), f.tag))
        parts.append(f.text)
        pos += len(f.text)
    return "".join(parts), spans, marks


def _break_points(
    text: str, width: int, rng: random.Random, split_words: bool, protected: set[int]
) -> list[tuple[int, str]]:
    """(position, kind) for each line break: kind 'space' replaces the space at position,
    'hyphen' and 'split' insert a break before position."""
    breaks: list[tuple[int, str]] = []
    line_start = 0
    i = 0
    n = len(text)
    last_space = -1
    while i < n:
        if text[i] == " ":
            last_space = i
        if i - line_start >= width:
            # the word crossing the margin: try a hyphen or a word split, else break at the last space
            ws = last_space + 1 if last_space >= line_start else line_start
            we = ws
            while we < n and text[we] != " ":
                we += 1
            word = text[ws:we]
            cut = -1
            if "-" in word and rng.random() < 0.7:
                h = ws + word.index("-") + 1
                if ws < h < we and h - line_start <= width + 2 and h not in protected and text[h].isalpha():
                    cut = h
                    breaks.append((h, "hyphen"))
            if cut < 0 and split_words and len(word) >= 10 and word.isalpha() and rng.random() < 0.25:
                h = ws + rng.randint(4, len(word) - 4)
                if h not in protected and h - line_start <= width + 2:
                    cut = h
                    breaks.append((h, "split"))
            if cut < 0:
                if last_space > line_start:
                    cut = last_space
                    breaks.append((last_space, "space"))
                    cut += 1
                else:  # a single over-long word: let it run
                    i += 1
                    continue
            line_start = cut
            last_space = -1
            i = cut
            continue
        i += 1
    return breaks


def wrap_block(
    text: str,
    spans: list[Span],
    marks: list[tuple[str, int]],
    width: int,
    line_end: str,
    rng: random.Random,
    split_words: bool,
) -> tuple[str, list[Span], list[tuple[str, int, bool]]]:
    """Wrap one paragraph; returns new text, remapped spans and markers."""
    protected = {s.start for s in spans} | {s.end for s in spans} | {p for _, p in marks}
    breaks = dict(_break_points(text, width, rng, split_words, protected))
    out: list[str] = []
    newpos = [0] * (len(text) + 1)
    pos = 0
    soft = line_end.lstrip(" ")  # inserted breaks carry no trailing space
    for i, ch in enumerate(text):
        kind = breaks.get(i)
        if kind in ("hyphen", "split"):
            ins = ("-" if kind == "split" else "") + soft
            out.append(ins)
            pos += len(ins)
        newpos[i] = pos
        if kind == "space":
            out.append(line_end)
            pos += len(line_end)
        else:
            out.append(ch)
            pos += 1
    newpos[len(text)] = pos
    new_spans = [Span(newpos[s.start], newpos[s.end - 1] + 1, s.label, s.attrs, s.tag) for s in spans]
    new_marks = []
    for name, p in marks:
        is_end = name.endswith("_end")
        q = newpos[p - 1] + 1 if is_end and p > 0 else newpos[p]
        new_marks.append((name, q, is_end))
    return "".join(out), new_spans, new_marks


def layout(blocks: list[Block], fmt: str, rng: random.Random, prefix: str = "") -> Laid:
    """Lay out the blocks as PDF-extracted text of the given format ('older' or 'newer')."""
    older = fmt == "older"
    line_end = " \n\n" if older else " \n"
    para_sep = " \n\n" if older else " \n"
    width = rng.randint(86, 95)
    text_parts: list[str] = [prefix]
    offset = len(prefix)
    laid = Laid("")
    for block in blocks:
        flat, spans, marks = flatten(block.frags)
        if block.wrap:
            body, spans2, marks2 = wrap_block(flat, spans, marks, width, line_end, rng, older)
        else:
            body, spans2 = flat, spans
            marks2 = [(n, p, n.endswith("_end")) for n, p in marks]
        ending = block.end if block.end is not None else line_end
        chunk = body + ending + (para_sep if block.blank_after else "")
        for s in spans2:
            attrs = dict(s.attrs)
            attrs["section"] = block.section
            laid.spans.append(Span(s.start + offset, s.end + offset, s.label, attrs, s.tag))
        for name, p, _ in marks2:
            laid.marks[name] = p + offset
        text_parts.append(chunk)
        offset += len(chunk)
    laid.text = "".join(text_parts)
    return laid
