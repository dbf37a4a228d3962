"""Convert gold JSONL (SCHEMA format) to a spaCy DocBin for training the open-class NER.

    .venv/bin/python training/convert.py corpus/train.jsonl /tmp/G1/train.spacy
    .venv/bin/python training/convert.py corpus/dev.jsonl /tmp/G1/dev.spacy --labels DIAGNOSIS,TREATMENT

Docs are tokenized with the project tokenizer (``imr_spacy.Tokenizer.v1``); every kept span must be
token-aligned (the corpus tests guarantee it), otherwise conversion fails naming the record id and offsets.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import DocBin

OPEN_LABELS = ("DIAGNOSIS", "TREATMENT", "FINDING", "EVIDENCE")


def make_nlp() -> Language:
    """A blank English pipeline with the project tokenizer."""
    return spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "imr_spacy.Tokenizer.v1"}}})


def convert(src: Path, dest: Path, labels: tuple[str, ...] = OPEN_LABELS, nlp: Language | None = None) -> int:
    """Write ``dest`` (.spacy) from the gold JSONL ``src``; returns the number of docs."""
    nlp = nlp or make_nlp()
    db = DocBin(store_user_data=False)
    n = 0
    with src.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            doc = nlp.make_doc(rec["text"])
            ents = []
            for s in rec["spans"]:
                if s["label"] not in labels:
                    continue
                span = doc.char_span(s["start"], s["end"], label=s["label"], alignment_mode="strict")
                if span is None:
                    raise ValueError(f"{rec['id']}: span {s['label']}[{s['start']}:{s['end']}] is not token-aligned")
                ents.append(span)
            doc.ents = ents
            db.add(doc)
            n += 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(dest)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--labels", default=",".join(OPEN_LABELS), help="comma-separated labels to keep")
    args = ap.parse_args()
    n = convert(args.src, args.dest, tuple(x for x in args.labels.split(",") if x))
    print(f"{args.dest}: {n} docs")


if __name__ == "__main__":
    main()
