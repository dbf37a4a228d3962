"""Write corpus/train.jsonl, dev.jsonl and test.jsonl (deterministic for a seed).

.venv/bin/python -m corpus.generator [--seed 20161209] [--out corpus] [--n 480]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from .check import check_record
from .letter import make_letter

#: Letters per split, as shares of --n.
SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}
OLDER_SHARE = 0.35


def generate(seed: int, n: int) -> dict[str, list[dict]]:
    """All splits; each split draws only from its own vocabulary pool (plus the core terms)."""
    out: dict[str, list[dict]] = {}
    for s_i, (split, share) in enumerate(SHARES.items()):
        rng = random.Random(seed * 1000 + s_i)
        count = round(n * share)
        docs = []
        for i in range(count):
            fmt = "older" if rng.random() < OLDER_SHARE else "newer"
            doc = make_letter(rng, fmt, split, f"gen-{split}-{i:04d}")
            docs.append(doc)
        out[split] = docs
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=20161209)
    ap.add_argument("--n", type=int, default=480)
    ap.add_argument("--out", default="corpus")
    ap.add_argument("--no-check", action="store_true", help="skip the tokenizer alignment check")
    args = ap.parse_args()
    splits = generate(args.seed, args.n)
    nlp = None
    if not args.no_check:
        from imr_spacy.exports.tokens import imr_tokenizer_nlp

        nlp = imr_tokenizer_nlp()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for split, docs in splits.items():
        if nlp is not None:
            for d in docs:
                problems = check_record(d, nlp)
                if problems:
                    raise SystemExit(f"{d['id']}: {problems[:5]}")
        with (out / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for d in docs:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        n_spans = sum(len(d["spans"]) for d in docs)
        print(f"{split}: {len(docs)} letters, {n_spans} spans")


if __name__ == "__main__":
    main()
