"""Vocabulary data (``data/*.json``) and its partition into train/dev/test pools.

Every open-class term (diagnosis, drug, compound, procedure) that is not ``core`` belongs to
exactly one split, by a stable hash of its name, so dev and test letters hold diagnoses,
drugs and procedures that no train letter contains.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
SPLITS = ("train", "dev", "test")
#: Share of non-core terms in each split's pool (percent, by hash bucket).
SPLIT_CUTS = (("train", 60), ("dev", 78), ("test", 100))


def load(name: str) -> dict[str, Any]:
    """One data file."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def split_of(key: str, core: bool = False) -> str:
    """The split a non-core term belongs to ('all' for core terms)."""
    if core:
        return "all"
    bucket = int(hashlib.md5(key.lower().encode("utf-8")).hexdigest(), 16) % 100
    for split, cut in SPLIT_CUTS:
        if bucket < cut:
            return split
    return "test"


@dataclass(frozen=True)
class Pools:
    """The vocabulary visible to one split."""

    diagnoses: tuple[dict[str, Any], ...]
    drugs: tuple[dict[str, Any], ...]
    compounds: tuple[dict[str, Any], ...]
    procedures: tuple[dict[str, Any], ...]


def _pick(entries: list[dict[str, Any]], key: str, split: str) -> tuple[dict[str, Any], ...]:
    out = []
    for e in entries:
        s = split_of(e[key], bool(e.get("core")))
        if s in ("all", split):
            out.append({**e, "pool": "core" if s == "all" else split})
    return tuple(out)


@lru_cache(maxsize=4)
def pools(split: str) -> Pools:
    """The terms letters of ``split`` may use."""
    dx = load("diagnoses")["entries"]
    drugs = load("drugs")
    compounds = [{**c, "name": ", ".join(c["parts"])} for c in drugs["compounds"]]
    procs = load("procedures")["entries"]
    return Pools(
        diagnoses=_pick(dx, "text", split),
        drugs=_pick(drugs["entries"], "name", split),
        compounds=_pick(compounds, "name", split),
        procedures=_pick(procs, "text", split),
    )
