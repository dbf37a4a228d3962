"""Vocabulary sizes per split, and how many test-only terms the rules' lexicon already names.

    .venv/bin/python -m corpus.generator.report [--patterns patterns]

A test-only term is a diagnosis, drug, compound or procedure of the test pool (``vocab.split_of``). It
is *absent from the rule lexicon* when its lower-cased name (``{side}`` dropped) is not a substring of the
concatenated lower-cased text of ``patterns/vocab/*.txt``, ``patterns/diagnosis.jsonl`` and
``patterns/treatment.jsonl``: a literal check (the rules may still find such a term by its head word).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .vocab import load, split_of

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("diagnoses", "drugs", "compounds", "procedures")


def entries() -> dict[str, list[tuple[str, bool]]]:
    """(name, core) of every open-class vocabulary term, per kind."""
    drugs = load("drugs")
    return {
        "diagnoses": [(e["text"], bool(e.get("core"))) for e in load("diagnoses")["entries"]],
        "drugs": [(e["name"], bool(e.get("core"))) for e in drugs["entries"]],
        "compounds": [(", ".join(c["parts"]), False) for c in drugs["compounds"]],
        "procedures": [(e["text"], bool(e.get("core"))) for e in load("procedures")["entries"]],
    }


def term_key(name: str) -> str:
    """The lower-cased term with its ``{side}`` slot and extra spaces removed."""
    return " ".join(name.replace("{side}", " ").lower().split())


def span_key(text: str) -> str:
    """A span's text as the held-out check compares it: lower case, hyphens dropped, spaces collapsed."""
    return " ".join(text.lower().replace("-", "").split())


def split_only_terms(split: str) -> list[str]:
    """The terms of one split's pool (``"dev"`` or ``"test"``) of every kind, in :func:`span_key` form, sorted."""
    keys = {
        span_key(term_key(name))
        for items in entries().values()
        for name, core in items
        if split_of(name, core) == split
    }
    return sorted(keys)


def held_out_pattern(splits: tuple[str, ...] = ("test",)) -> re.Pattern[str]:
    """One pattern that finds any term of the ``splits`` pools, word-bounded, in :func:`span_key` text."""
    keys = sorted({k for split in splits for k in split_only_terms(split)}, key=lambda k: (-len(k), k))
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, keys)) + r")(?!\w)")


def rule_lexicon(patterns: Path) -> str:
    """The lower-cased text of the rules' vocabulary lists and DIAGNOSIS/TREATMENT patterns."""
    files = [*sorted((patterns / "vocab").glob("*.txt")), patterns / "diagnosis.jsonl", patterns / "treatment.jsonl"]
    return "\n".join(f.read_text(encoding="utf-8").lower() for f in files if f.exists())


def report(patterns: Path = ROOT / "patterns") -> dict[str, Any]:
    """Counts per kind: terms per split and test-only terms absent from the rule lexicon."""
    lexicon = rule_lexicon(patterns)
    out: dict[str, Any] = {}
    for kind, items in entries().items():
        splits = Counter(split_of(name, core) for name, core in items)
        test = [name for name, core in items if split_of(name, core) == "test"]
        absent = [name for name in test if term_key(name) not in lexicon]
        out[kind] = {"total": len(items), **{s: splits[s] for s in ("all", "train", "dev", "test")}}
        out[kind]["test_absent_from_rules"] = len(absent)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patterns", type=Path, default=ROOT / "patterns")
    args = ap.parse_args()
    rows = report(args.patterns)
    print("| kind | terms | core | train | dev | test | test-only absent from rule lexicon |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, r in rows.items():
        cells = (r["total"], r["all"], r["train"], r["dev"], r["test"], r["test_absent_from_rules"])
        print(f"| {kind} | " + " | ".join(str(x) for x in cells) + " |")
    tot = {k: sum(r[k] for r in rows.values()) for k in ("total", "test", "test_absent_from_rules")}
    print(f"\n{tot['test_absent_from_rules']} of {tot['test']} test-only terms are absent from the rule lexicon")


if __name__ == "__main__":
    main()
