"""A small template grammar: ``{a|b}`` choices, ``<slot:arg>`` slots, ``[[text|LABEL|flag]]`` entities.

Templates are parsed once into nodes and expanded with a random generator and a slot
resolver that returns annotated :class:`~builder.Frag` lists.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .builder import Frag

Node = Any  # str | ("choice", list[list[Node]]) | ("slot", name, args) | ("ann", label, flags, list[Node])


def _parse(s: str, i: int, stop: str) -> tuple[list[Node], int]:
    seq: list[Node] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            seq.append("".join(buf))
            buf.clear()

    while i < len(s):
        c = s[i]
        if s.startswith("[[", i):
            flush()
            j = s.index("]]", i)
            inner, label, *flags = s[i + 2 : j].split("|")
            nodes, _ = _parse(inner, 0, "")
            seq.append(("ann", label, tuple(flags), nodes))
            i = j + 2
        elif c == "{":
            flush()
            alts = []
            i += 1
            while True:
                node, i = _parse(s, i, "|}")
                alts.append(node)
                if s[i] == "}":
                    i += 1
                    break
                i += 1
            seq.append(("choice", alts))
        elif stop and c in stop:
            flush()
            return seq, i
        elif c == "<":
            flush()
            j = s.index(">", i)
            name, *args = s[i + 1 : j].split(":")
            seq.append(("slot", name, tuple(args)))
            i = j + 1
        else:
            buf.append(c)
            i += 1
    flush()
    return seq, i


@lru_cache(maxsize=4096)
def parse(template: str) -> tuple[Node, ...]:
    """Template string -> nodes (cached)."""
    nodes, _ = _parse(template, 0, "")
    return tuple(nodes)


Resolver = Callable[[str, tuple[str, ...]], list[Frag]]
Annotator = Callable[[str, str, tuple[str, ...]], Frag]


def expand(template: str, rng: random.Random, slot: Resolver, annotate: Annotator) -> list[Frag]:
    """Expand a template to fragments."""
    return _expand(parse(template), rng, slot, annotate)


def _expand(
    nodes: tuple[Node, ...] | list[Node], rng: random.Random, slot: Resolver, annotate: Annotator
) -> list[Frag]:
    out: list[Frag] = []
    for n in nodes:
        if isinstance(n, str):
            out.append(Frag(n))
        elif n[0] == "choice":
            out.extend(_expand(rng.choice(n[1]), rng, slot, annotate))
        elif n[0] == "slot":
            out.extend(slot(n[1], n[2]))
        else:
            inner = _expand(n[3], rng, slot, annotate)
            out.append(annotate("".join(f.text for f in inner), n[1], n[2]))
    return out


def text_of(frags: list[Frag]) -> str:
    return "".join(f.text for f in frags)


def capitalize(frags: list[Frag]) -> list[Frag]:
    """Upper-case the first letter of the first non-empty fragment (copies it)."""
    out = list(frags)
    for i, f in enumerate(out):
        if f.text:
            out[i] = Frag(f.text[0].upper() + f.text[1:], f.label, f.attrs, f.mark, f.tag)
            break
    return out
