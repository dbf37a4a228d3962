"""Pre-annotate real letters into markup, check markup files, and build the gold JSONL files.

    python -m corpus.real_letters preannotate PIPELINE PDF... [--out corpus/real_letters/markup]
    python -m corpus.real_letters check [FILE.txt ...]
    python -m corpus.real_letters build [--out corpus] [--markup corpus/real_letters/markup]

Messages name files, lines and offsets, never the letters' text.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from imr_spacy.exports.tokens import imr_tokenizer_nlp
from imr_spacy.extensions import LABEL_ATTRS, section_title_at
from imr_spacy.model_merge import OPEN_LABELS
from imr_spacy.records import decision_record, plain, text_sha1

from .markup import parse, to_markup

HERE = Path(__file__).parent
MARKUP_DIR = HERE / "markup"
SPLITS = HERE / "splits.json"
#: the split a letter goes to -> the JSONL file it is written to
SPLIT_FILES = {"real_train": "real_train.jsonl", "real_dev": "real_dev.jsonl"}


def pipeline_record(doc: Any) -> dict[str, Any]:
    """The gold-format record of the pipeline's annotation of ``doc`` (the pre-annotation)."""
    spans = []
    for ent in doc.ents:
        attrs: dict[str, Any] = {"is_negated": bool(ent._.is_negated)} if ent.label_ in OPEN_LABELS else {}
        for name in LABEL_ATTRS.get(ent.label_, ()):
            if name != "icd10":
                attrs[name] = plain(getattr(ent._, name))
        spans.append({"start": ent.start_char, "end": ent.end_char, "label": ent.label_, "attrs": attrs})
    decisions = []
    for dec in map(decision_record, doc._.decisions):
        if dec["item"] is not None and dec["decision"] is not None:
            decisions.append({k: dec[k] for k in ("item", "outcome", "decision", "guidelines")})
    return {"text": doc.text, "spans": spans, "decisions": decisions}


def preannotate(pipeline: str, pdfs: list[Path], out: Path) -> int:
    """Write ``<id>.txt`` (markup) and ``<id>.json`` (meta) for each PDF; never overwrites a markup file."""
    import spacy
    from imr_spacy.pdf_reader import read_pdf

    nlp = spacy.load(pipeline)
    out.mkdir(parents=True, exist_ok=True)
    for pdf in pdfs:
        dest = out / f"{pdf.stem}.txt"
        if dest.exists():
            print(f"{dest}: exists, left as is", file=sys.stderr)
            continue
        text = read_pdf(pdf)
        doc = nlp(text)
        record = pipeline_record(doc)
        meta = {
            "id": pdf.stem,
            "source": f"examples/letters/{pdf.name}",
            "sha1": text_sha1(text),
            "sections": [[s, e, t] for s, e, t in doc._.section_bounds or []],
            "pre_annotation": nlp.meta.get("name", ""),
        }
        dest.write_text(to_markup(record), encoding="utf-8")
        (out / f"{pdf.stem}.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        print(f"{dest}: {len(record['spans'])} spans, {len(record['decisions'])} items")
    return 0


def gold_record(path: Path, split: str) -> dict[str, Any]:
    """The gold record of one markup file (raises MarkupError, a ValueError)."""
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    rec = parse(path.read_text(encoding="utf-8"), meta["sha1"])
    for span in rec["spans"]:
        span["attrs"]["section"] = section_title_at(meta["sections"], span["start"])
    decisions = [{k: d[k] for k in ("item", "outcome", "guidelines")} for d in rec["decisions"]]
    return {
        "id": meta["id"],
        "text": rec["text"],
        "spans": rec["spans"],
        "decisions": decisions,
        "meta": {"format": "newer", "split": split, "source": meta["source"], "items": len(decisions)},
    }


def checked_record(path: Path, split: str, nlp: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """The gold record of a markup file and what is wrong with it (no record when it cannot be read)."""
    from corpus.generator.check import check_record

    try:
        rec = gold_record(path, split)
    except (ValueError, KeyError) as exc:
        return None, [str(exc)]
    return rec, check_record(rec, nlp)


def check(paths: list[Path]) -> int:
    """Print the problems of each markup file (all of ``markup/`` when none are given); 1 if any."""
    nlp = imr_tokenizer_nlp()
    paths = paths or sorted(MARKUP_DIR.glob("*.txt"))
    bad = 0
    for path in paths:
        _, problems = checked_record(path, "check", nlp)
        bad += bool(problems)
        for p in problems:
            print(f"{path}: {p}")
    print(f"{len(paths)} files, {bad} with problems")
    return 1 if bad else 0


def build(out: Path, markup: Path = MARKUP_DIR) -> int:
    """Write the JSONL file of each split in ``splits.json`` from the markup files in ``markup``."""
    nlp = imr_tokenizer_nlp()
    splits: dict[str, list[str]] = json.loads(SPLITS.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    for split, ids in splits.items():
        records = []
        for doc_id in ids:
            path = markup / f"{doc_id}.txt"
            rec, problems = checked_record(path, split, nlp)
            if rec is None or problems:
                print(f"{path}: {problems[0]}", file=sys.stderr)
                return 1
            records.append(rec)
        dest = out / SPLIT_FILES[split]
        with dest.open("w", encoding="utf-8") as f:
            for rec in records:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(f"{dest}: {len(records)} letters, {sum(len(r['spans']) for r in records)} spans")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    pre = sub.add_parser("preannotate")
    pre.add_argument("pipeline")
    pre.add_argument("pdfs", nargs="+", type=Path)
    pre.add_argument("--out", type=Path, default=MARKUP_DIR)
    chk = sub.add_parser("check")
    chk.add_argument("files", nargs="*", type=Path)
    bld = sub.add_parser("build")
    bld.add_argument("--out", type=Path, default=HERE.parent)
    bld.add_argument("--markup", type=Path, default=MARKUP_DIR)
    args = ap.parse_args(argv)
    if args.cmd == "preannotate":
        return preannotate(args.pipeline, args.pdfs, args.out)
    if args.cmd == "check":
        return check(args.files)
    return build(args.out, args.markup)


if __name__ == "__main__":
    sys.exit(main())
