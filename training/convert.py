"""Convert gold JSONL (SCHEMA format) to a spaCy DocBin for training the open-class NER.

    .venv/bin/python training/convert.py corpus/train.jsonl /tmp/G1/train.spacy [--augment 1]
    .venv/bin/python training/convert.py corpus/dev.jsonl /tmp/G1/dev.spacy --labels DIAGNOSIS,TREATMENT

Docs are tokenized with the project tokenizer (``imr_spacy.Tokenizer.v1``); every kept span must be
token-aligned (the corpus tests guarantee it), otherwise conversion fails naming the record id and offsets.
Each token's ``tag_`` is also set to its BILUO entity tag (``B-DIAGNOSIS``, ``O``, ...): the targets of the
BILUO tagger that rates the NER's spans (training/README.md).

``--augment N`` adds N copies of every letter in which a quarter of the words outside every gold span (any
label; alphabetic, not stop words) are swapped for words of ``general_words.txt`` (case kept): in the synthetic
letters nearly every unfamiliar word is an entity, a shortcut that would make the model tag ordinary
words of real letters. The copies are seeded (``--seed``), so conversion stays reproducible.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training.iob_utils import doc_to_biluo_tags

OPEN_LABELS = ("DIAGNOSIS", "TREATMENT", "FINDING", "EVIDENCE")
WORDS = Path(__file__).resolve().parent / "general_words.txt"
SWAP_RATE = 0.25


def make_nlp() -> Language:
    """A blank English pipeline with the project tokenizer."""
    return spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "imr_spacy.Tokenizer.v1"}}})


def general_words(records: list[dict[str, Any]], path: Path = WORDS) -> list[str]:
    """The swap-in words, minus any word that occurs inside an open-class gold span of ``records``."""
    inside: set[str] = set()
    for rec in records:
        for s in rec["spans"]:
            if s["label"] in OPEN_LABELS:
                inside.update(w.lower() for w in re.findall(r"[A-Za-z]+", rec["text"][s["start"] : s["end"]]))
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w for w in (x.strip() for x in lines) if w and not w.startswith("#") and w not in inside]


def gold_doc(nlp: Language, rec: dict[str, Any], labels: tuple[str, ...]) -> Doc:
    """The record's Doc with its ``labels`` spans as entities."""
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
    return doc


def swapped(doc: Doc, rec: dict[str, Any], words: list[str], rng: random.Random) -> Doc:
    """A copy of ``doc`` with some words outside every gold span replaced by general words."""
    taken = [False] * len(doc)
    for s in rec["spans"]:
        span = doc.char_span(s["start"], s["end"], alignment_mode="expand")
        if span is not None:
            taken[span.start : span.end] = [True] * len(span)
    out = []
    for t in doc:
        text = t.text
        if not taken[t.i] and t.is_alpha and not t.is_stop and len(text) > 2 and rng.random() < SWAP_RATE:
            new = rng.choice(words)
            text = new.upper() if text.isupper() else new.capitalize() if text[0].isupper() else new
        out.append(text)
    copy = Doc(doc.vocab, words=out, spaces=[bool(t.whitespace_) for t in doc])
    copy.ents = [Span(copy, e.start, e.end, label=e.label) for e in doc.ents]
    return copy


def set_biluo_tags(doc: Doc) -> Doc:
    for token, tag in zip(doc, doc_to_biluo_tags(doc), strict=True):
        token.tag_ = tag
    return doc


def convert(
    src: Path,
    dest: Path,
    labels: tuple[str, ...] = OPEN_LABELS,
    nlp: Language | None = None,
    augment: int = 0,
    seed: int = 0,
) -> int:
    """Write ``dest`` (.spacy) from the gold JSONL ``src``; returns the number of docs written."""
    nlp = nlp or make_nlp()
    with src.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    words = general_words(records) if augment else []
    rng = random.Random(seed)
    db = DocBin(store_user_data=False)
    n = 0
    for rec in records:
        doc = gold_doc(nlp, rec, labels)
        db.add(set_biluo_tags(doc))
        n += 1
        for _ in range(augment):
            db.add(set_biluo_tags(swapped(doc, rec, words, rng)))
            n += 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(dest)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--labels", default=",".join(OPEN_LABELS), help="comma-separated labels to keep")
    ap.add_argument("--augment", type=int, default=0, help="word-swapped copies per letter (training data)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    labels = tuple(x for x in args.labels.split(",") if x)
    n = convert(args.src, args.dest, labels, augment=args.augment, seed=args.seed)
    print(f"{args.dest}: {n} docs")


if __name__ == "__main__":
    main()
