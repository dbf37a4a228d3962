"""Silver training docs: the rules pipeline's open-class entities on the bundled real letters.

    .venv/bin/python training/silver.py RULES_PIPELINE examples/letters build/training/silver.spacy

Used only as extra training data (never as gold, never scored): it shows the NER the prose of real letters,
mostly what is *not* an entity there, so that the model adds fewer spurious spans on real text. Only the PDFs
are read (imr_spacy.pdf_reader); the seed letter (.txt) stays out, it is an evaluation file. Nothing of the
text is printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import spacy
from imr_spacy.exports.tokens import imr_tokenizer_nlp
from imr_spacy.pdf_reader import DocumentError, read_pdf
from spacy.tokens import DocBin

OPEN_LABELS = ("DIAGNOSIS", "TREATMENT", "FINDING", "EVIDENCE")


def texts_of(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.iterdir()):
        try:
            if path.suffix == ".pdf":
                out.append(read_pdf(path))
        except DocumentError:
            continue
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pipeline", help="the rules-only pipeline (spacy.load path or name)")
    ap.add_argument("texts", type=Path)
    ap.add_argument("dest", type=Path)
    args = ap.parse_args()
    rules = spacy.load(args.pipeline)
    blank = imr_tokenizer_nlp()
    db = DocBin(store_user_data=False)
    texts = texts_of(args.texts)
    for text, doc in zip(texts, rules.pipe(texts), strict=True):
        out = blank.make_doc(text)
        ents = [out.char_span(e.start_char, e.end_char, label=e.label_) for e in doc.ents if e.label_ in OPEN_LABELS]
        out.ents = [e for e in ents if e is not None]
        db.add(out)
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(args.dest)
    print(f"{args.dest}: {len(texts)} docs")


if __name__ == "__main__":
    main()
