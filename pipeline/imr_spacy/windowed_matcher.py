"""A token Matcher that only runs where its patterns can match.

spaCy's :class:`~spacy.matcher.Matcher` starts a state for every pattern at every token and
evaluates ``IN``/``REGEX`` predicates in Python, so a few hundred patterns cost ~25 ns per
token and pattern whether or not anything is near. :class:`WindowedMatcher` keeps one spaCy
Matcher per key and reads the patterns once to learn, per key:

- the token specs a match can *start* with (up to the first required token),
- the specs any matched token must satisfy (the union of all specs), and
- the longest possible match (unbounded for ``*`` and ``+``).

Spec results depend only on the lexeme, so they are cached per ``ORTH`` across documents.
For a Doc, each key's Matcher runs only on the windows ``[s, min(s + longest, next dead))``
from each possible start ``s``, where a dead token satisfies none of the key's specs.
Windows shorter than the key's shortest pattern, or without a token that can be a pattern's
last required token (its *anchor*), are dropped and the rest merged; a one-token window is
decided from the cache (does the token alone make a match?). Every match lies inside one
window and windows of a key never share a match, so the result (``greedy`` filtering
included) is exactly the plain Matcher's (``tests/test_windowed_matcher.py`` checks it
against spaCy on random patterns). Keys whose patterns use anything the gate cannot
evaluate (other attributes, ``!``, extensions, all-optional patterns) run on the whole Doc.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from spacy.attrs import ORTH
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

Match = tuple[int, int, int]
#: Lexeme cache rows kept before the cache is dropped (bounds memory on endless streams).
MAX_CACHED_LEXEMES = 50_000
#: Lexeme attributes (a token cannot override them, so they can be cached per lexeme; NORM can).
_STRING_ATTRS = {"LOWER": "lower_", "ORTH": "orth_", "TEXT": "orth_"}
_TABLES = ("start", "alive", "solo", "anchor")
_RANGE_OP = re.compile(r"^\{(\d*)(,?)(\d*)\}$")


class Unsupported(ValueError):
    """A pattern the gate cannot reason about (its key then runs on the whole Doc)."""


def _op_bounds(op: str | None) -> tuple[int, int | None]:
    """(min, max) repetitions of a token spec; ``None`` for unbounded."""
    if op in (None, "1"):
        return 1, 1
    if op == "?":
        return 0, 1
    if op == "*":
        return 0, None
    if op == "+":
        return 1, None
    m = _RANGE_OP.match(op)
    if m is None:
        raise Unsupported(op)
    lo_s, comma, hi_s = m.groups()
    lo = int(lo_s) if lo_s else 0
    if not comma:
        return lo, lo
    return lo, int(hi_s) if hi_s else None


class _Spec:
    """One token spec (without ``OP``), evaluated on lexemes."""

    __slots__ = ("tests",)

    def __init__(self, spec: dict[str, Any]) -> None:
        self.tests: list[tuple[str, str, Any]] = []
        for attr, value in spec.items():
            name = _STRING_ATTRS.get(attr.upper())
            if name is None:
                raise Unsupported(attr)
            if isinstance(value, str):
                self.tests.append((name, "==", value))
                continue
            if not isinstance(value, dict):
                raise Unsupported(attr)
            for kind, arg in value.items():
                if kind in ("IN", "NOT_IN") and not all(isinstance(v, str) for v in arg):
                    raise Unsupported(f"{kind} with non-string values")  # e.g. hashes
                if kind == "IN":
                    self.tests.append((name, "in", frozenset(arg)))
                elif kind == "NOT_IN":
                    self.tests.append((name, "not_in", frozenset(arg)))
                elif kind == "REGEX":
                    self.tests.append((name, "re", re.compile(arg)))
                else:
                    raise Unsupported(kind)

    def __call__(self, lex: Any) -> bool:
        for name, kind, arg in self.tests:
            value = getattr(lex, name)
            if kind == "==":
                ok = value == arg
            elif kind == "in":
                ok = value in arg
            elif kind == "not_in":
                ok = value not in arg
            else:
                ok = arg.search(value) is not None
            if not ok:
                return False
        return True


@dataclass(frozen=True)
class Shape:
    """What the gate needs to know of a key's token patterns."""

    starts: list[dict[str, Any]]  # specs a match can start with
    specs: list[dict[str, Any]]  # every spec (a matched token satisfies one)
    solo: list[dict[str, Any]]  # specs that alone make a one-token match
    anchors: list[dict[str, Any]]  # each pattern's last required spec (every match has one)
    shortest: int
    longest: int | None  # None: unbounded


def analyse(patterns: Iterable[list[dict[str, Any]]]) -> Shape:
    """The :class:`Shape` of a key's token patterns (raises :class:`Unsupported`)."""
    starts: dict[str, dict] = {}
    specs: dict[str, dict] = {}
    solo: dict[str, dict] = {}
    anchors: dict[str, dict] = {}
    longest: int | None = 0
    shortest: int | None = None
    for pattern in patterns:
        length: int | None = 0
        least = 0
        leading = True
        required: list[tuple[str, dict]] = []
        for token in pattern:
            spec = {k: v for k, v in token.items() if k != "OP"}
            op = token.get("OP")
            if op == "!" or not spec:
                raise Unsupported(str(op))
            lo, hi = _op_bounds(op)
            _Spec(spec)  # raises Unsupported for what the gate cannot evaluate
            key = json.dumps(spec, sort_keys=True)
            specs[key] = spec
            if leading:
                starts[key] = spec
                leading = lo == 0
            if lo:
                required.append((key, spec))
            length = None if length is None or hi is None else length + hi
            least += lo
        if leading:  # every token optional: a match may start anywhere
            raise Unsupported("all-optional pattern")
        if least == 1:  # the one required token, all others skipped
            solo[required[0][0]] = required[0][1]
        anchors[required[-1][0]] = required[-1][1]
        longest = None if longest is None or length is None else max(longest, length)
        shortest = least if shortest is None else min(shortest, least)
    return Shape(
        list(starts.values()),
        list(specs.values()),
        list(solo.values()),
        list(anchors.values()),
        shortest or 1,
        longest,
    )


@dataclass
class _Key:
    matcher: Matcher
    gated: bool = False
    shortest: int = 1
    longest: int | None = None
    start_specs: list[int] = field(default_factory=list)
    alive_specs: list[int] = field(default_factory=list)
    solo_specs: list[int] = field(default_factory=list)
    anchor_specs: list[int] = field(default_factory=list)
    match_id: int = 0


class WindowedMatcher:
    """Drop-in for ``Matcher.add``/``__call__``/``__len__`` that matches only near candidates."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._keys: list[_Key] = []
        self._specs: list[_Spec] = []
        self._spec_index: dict[str, int] = {}
        self._reset_cache()

    def __len__(self) -> int:
        return sum(len(k.matcher) for k in self._keys)

    def add(self, key: str, patterns: list[list[dict[str, Any]]], greedy: str | None = None) -> None:
        """Add token patterns under ``key`` (as :meth:`spacy.matcher.Matcher.add`)."""
        matcher = Matcher(self.vocab)
        matcher.add(key, patterns, greedy=greedy)
        entry = _Key(matcher)
        try:
            shape = analyse(patterns)
            entry.start_specs = [self._spec_id(s) for s in shape.starts]
            entry.alive_specs = [self._spec_id(s) for s in shape.specs]
            entry.solo_specs = [self._spec_id(s) for s in shape.solo]
            entry.anchor_specs = [self._spec_id(s) for s in shape.anchors]
            entry.shortest, entry.longest = shape.shortest, shape.longest
            entry.match_id = self.vocab.strings.add(key)
            entry.gated = True
        except Unsupported:
            entry.gated = False
        self._keys.append(entry)
        self._reset_cache()

    def _spec_id(self, spec: dict[str, Any]) -> int:
        text = json.dumps(spec, sort_keys=True)
        if text not in self._spec_index:
            compiled = _Spec(spec)  # raises Unsupported before anything is registered
            self._spec_index[text] = len(self._specs)
            self._specs.append(compiled)
        return self._spec_index[text]

    def _reset_cache(self) -> None:
        # one row per lexeme; columns: can start / can be in / alone matches / is an anchor, per key
        self._rows: dict[int, int] = {}
        self._table = np.zeros((1024, len(_TABLES) * len(self._keys)), dtype=bool)

    def _row(self, orth: int) -> int:
        """Cache row of a lexeme (its spec results per key)."""
        row = self._rows.get(orth)
        if row is not None:
            return row
        row = len(self._rows)
        if row >= len(self._table):
            self._table = np.vstack([self._table, np.zeros_like(self._table)])
        lex = self.vocab[orth]
        hits = [spec(lex) for spec in self._specs]
        n = len(self._keys)
        line = self._table[row]
        for column, k in enumerate(self._keys):
            if k.gated:
                for t, specs in enumerate((k.start_specs, k.alive_specs, k.solo_specs, k.anchor_specs)):
                    line[t * n + column] = any(hits[i] for i in specs)
        self._rows[orth] = row
        return row

    def __call__(self, doc: Doc) -> list[Match]:
        """All matches as ``(match_id, start, end)``, the same set a plain Matcher returns."""
        n = len(doc)
        out: list[Match] = []
        if not n:
            return out
        for k in self._keys:
            if not k.gated and len(k.matcher):
                out.extend(k.matcher(doc))
        nk = len(self._keys)
        if len(self._rows) >= MAX_CACHED_LEXEMES:  # between documents: rows stay valid within one
            self._reset_cache()
        uniq, inverse = np.unique(doc.to_array(ORTH), return_inverse=True)
        rows = np.fromiter((self._row(o) for o in uniq.tolist()), dtype=np.intp, count=len(uniq))
        table = np.ascontiguousarray(self._table[rows][inverse].T)  # (4 * keys, tokens)
        can_start, alive, solo = table[:nk], table[nk : 2 * nk], table[2 * nk : 3 * nk]
        # anchors seen before each position: a window [s, e) holds one iff seen[e] > seen[s]
        seen = np.zeros((nk, n + 1), dtype=np.int32)
        np.cumsum(table[3 * nk :], axis=1, out=seen[:, 1:])
        for column in np.flatnonzero(can_start.any(axis=1)).tolist():
            k = self._keys[column]
            starts = np.flatnonzero(can_start[column])
            dead = np.append(np.flatnonzero(~alive[column]), n)
            ends = dead[np.searchsorted(dead, starts + 1)]
            if k.longest is not None:
                ends = np.minimum(ends, starts + k.longest)
            # too short a window, or one without an anchor, holds no match
            keep = seen[column][ends] > seen[column][starts]
            if k.shortest > 1:
                keep &= ends - starts >= k.shortest
            if not keep.any():
                continue
            starts, ends = starts[keep], ends[keep]
            solo_k = solo[column]
            for a, b in _merge(starts.tolist(), ends.tolist()):
                if b - a == 1:  # one token: a match iff it alone satisfies a pattern
                    if solo_k[a]:
                        out.append((k.match_id, a, b))
                else:  # a Span's matches are relative to its start
                    out.extend((m, s + a, e + a) for m, s, e in k.matcher(Span(doc, a, b)))
        return out


def _merge(starts: list[int], ends: list[int]) -> list[tuple[int, int]]:
    """Union of the windows ``[starts[i], ends[i])`` (starts ascending), touching ones joined.

    Joining windows further apart is exact too, but measured slower: matching costs per token.
    """
    merged: list[tuple[int, int]] = []
    a, b = starts[0], ends[0]
    for s, e in zip(starts, ends, strict=True):
        if s <= b:
            if e > b:
                b = e
        else:
            merged.append((a, b))
            a, b = s, e
    merged.append((a, b))
    return merged
