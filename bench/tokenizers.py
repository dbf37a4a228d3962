"""Compare tokenizers for IMR text: spaCy's English rules, scispaCy's combined rule tokenizer, ours.

For each tokenizer:

- ``misaligned``: gold spans (the seed letter; the project corpus when present) whose start or
  end falls inside a token, so no entity can cover them exactly;
- ``units``: the unit cases (reflex grades, strengths, counts, levels, dates, "Page(s)") kept as
  whole tokens, out of the total;
- ``tok/s``: tokens per second over the MTSamples notes (best of ``--repeat`` runs).

    .venv/bin/python bench/tokenizers.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import spacy
from spacy.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = [SHARED / "gold" / "seed.jsonl"]
CORPUS = sorted((ROOT / "corpus").glob("*.jsonl"))
MTSAMPLES = SHARED / "data" / "mtsamples" / "mtsamples.csv"

#: (text, tokens that must come out whole, in order)
UNIT_CASES: list[tuple[str, list[str]]] = [
    ("Knee jerks were 1+ today.", ["1+"]),
    ("Patellar reflexes 2+/4 on the right.", ["2+/4"]),
    ("Reflexes 1+/1+BLE.", ["1+/1+", "BLE"]),
    ("Biceps +2 bilaterally.", ["+2"]),
    ("Percocet 10/325mg daily.", ["10/325", "mg"]),
    ("Hydrocodone 5/325 mg #60.", ["5/325", "#60"]),
    ("Aquatic therapy x12.", ["x12"]),
    ("Massage 2x6 for the neck.", ["2x6"]),
    ("MTUS Page(s): 41-42.", ["Page(s)", "41-42"]),
    ("Fusion at L4-5 and C5-6.", ["L4-5", "C5-6"]),
    ("Seen on 03/14/2015 and 4-2-15.", ["03/14/2015", "4-2-15"]),
    ("Guidelines allow 9-10 visits.", ["9-10"]),
]


def spacy_english() -> Tokenizer:
    return spacy.blank("en").tokenizer


def scispacy_rules() -> Tokenizer:
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    with warnings.catch_warnings():  # scispaCy's infix regex warns about a future "set union"
        warnings.simplefilter("ignore", FutureWarning)
        return combined_rule_tokenizer(spacy.blank("en"))


def imr() -> Tokenizer:
    from imr_spacy.tokenizer import build_tokenizer

    return build_tokenizer(spacy.blank("en"))


TOKENIZERS: dict[str, Callable[[], Tokenizer]] = {
    "spacy en": spacy_english,
    "scispacy combined": scispacy_rules,
    "imr_spacy": imr,
}


def gold_spans(paths: list[Path]) -> list[tuple[str, int, int]]:
    spans = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                spans.extend((rec["text"], s["start"], s["end"]) for s in rec["spans"])
    return spans


def misaligned(tokenizer: Tokenizer, spans: Iterable[tuple[str, int, int]]) -> tuple[int, int]:
    """(gold spans not on token boundaries, gold spans) over the seed letter and the corpus."""
    bounds: dict[str, tuple[set[int], set[int]]] = {}
    bad = total = 0
    for text, start, end in spans:
        if text not in bounds:
            doc = tokenizer(text)
            bounds[text] = ({t.idx for t in doc}, {t.idx + len(t) for t in doc})
        starts, ends = bounds[text]
        total += 1
        bad += start not in starts or end not in ends
    return bad, total


def units(tokenizer: Tokenizer) -> int:
    ok = 0
    for text, want in UNIT_CASES:
        words = iter(t.text for t in tokenizer(text))
        ok += all(any(w == tok for w in words) for tok in want)
    return ok


def speed(tokenizer: Tokenizer, texts: list[str], repeat: int) -> float:
    best = float("inf")
    n = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = sum(len(tokenizer(t)) for t in texts)
        best = min(best, time.perf_counter() - t0)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    csv.field_size_limit(10**9)
    with MTSAMPLES.open(encoding="utf-8", newline="") as fh:
        notes = [row[0] for row in list(csv.reader(fh))[1:]]
    seed, corpus = gold_spans(SEED), gold_spans(CORPUS)
    print("| tokenizer | misaligned seed spans | misaligned corpus spans | unit cases whole | tok/s (MTSamples) |")
    print("|---|---|---|---|---|")
    for name, make in TOKENIZERS.items():
        tokenizer = make()
        (bad_seed, n_seed), (bad_corpus, n_corpus) = misaligned(tokenizer, seed), misaligned(tokenizer, corpus)
        print(
            f"| {name} | {bad_seed} / {n_seed} | {bad_corpus} / {n_corpus} | {units(tokenizer)} / {len(UNIT_CASES)} "
            f"| {speed(tokenizer, notes, args.repeat):,.0f} |"
        )


if __name__ == "__main__":
    main()
