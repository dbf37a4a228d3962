"""Evaluation of a pipeline on a gold JSONL file (shared/SCHEMA.md format).

Per-label precision/recall/F1 (exact and overlap), attribute accuracy, negation and decisions, computed
exactly as the official scorer (``shared/tools/score.py``, mode ``gold``) computes them: spans are matched
one-to-one per label, each gold span taking the first unused predicted span of its label that has the same
offsets (exact) or overlaps it (overlap); attributes are compared on overlap matches (``is_negated`` is
scored as negation instead, on any overlapping predicted entity).

    python -m imr_spacy.evaluate MODEL GOLD.jsonl [--texts DIR] [--json] [--errors]

``evaluate(nlp, records)`` returns the report dict; :func:`main` is what ``imr evaluate`` can call.
Error messages quote document text only when ``errors=True`` is asked for (a local debugging aid).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from . import model_merge  # noqa: F401  (registers imr_model_merge / imr_model_stash)

Record = dict[str, Any]
MAX_ERRORS = 60


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, Any]:
    """Precision, recall, F1 rounded as the official scorer rounds them."""
    p = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp / n_gold if n_gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f": round(f, 4), "tp": tp, "pred": n_pred, "gold": n_gold}


def overlaps(a: Sequence[int], b: Sequence[int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def match(pred: list[dict[str, Any]], gold: list[dict[str, Any]], exact: bool) -> list[tuple[int, int]]:
    """One-to-one (pred index, gold index) pairs of the same label, greedy in gold order."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi in used or p["label"] != g["label"]:
                continue
            if exact and (p["start"], p["end"]) != (g["start"], g["end"]):
                continue
            if not exact and not overlaps((p["start"], p["end"]), (g["start"], g["end"])):
                continue
            used.add(pi)
            pairs.append((pi, gi))
            break
    return pairs


def attr_value(span: Span, name: str) -> Any:
    if not Span.has_extension(name):
        return "<missing extension>"
    value = getattr(span._, name)
    return list(value) if isinstance(value, tuple) else value


def span_records(doc: Doc) -> list[dict[str, Any]]:
    return [{"start": e.start_char, "end": e.end_char, "label": e.label_, "span": e} for e in doc.ents]


class Tally:
    """Accumulates the counts of one evaluation run."""

    def __init__(self, keep_errors: bool = False) -> None:
        self.label: dict[str, dict[str, int]] = defaultdict(
            lambda: {"exact_tp": 0, "overlap_tp": 0, "pred": 0, "gold": 0}
        )
        self.attrs: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.neg = {"tp": 0, "fp": 0, "fn": 0, "right": 0, "total": 0, "unmatched": 0}
        self.keep_errors = keep_errors
        self.errors: list[str] = []

    def _error(self, msg: str) -> None:
        if self.keep_errors and len(self.errors) < MAX_ERRORS:
            self.errors.append(msg)

    def add(self, doc_id: str, text: str, pred: list[dict[str, Any]], gold: list[dict[str, Any]]) -> None:
        for g in gold:
            self.label[g["label"]]["gold"] += 1
        for p in pred:
            self.label[p["label"]]["pred"] += 1
        for _, gi in match(pred, gold, exact=True):
            self.label[gold[gi]["label"]]["exact_tp"] += 1
        pairs = match(pred, gold, exact=False)
        for pi, gi in pairs:
            g = gold[gi]
            self.label[g["label"]]["overlap_tp"] += 1
            for name, want in g.get("attrs", {}).items():
                if name == "is_negated":
                    continue
                got = attr_value(pred[pi]["span"], name)
                key = f"{g['label']}.{name}"
                self.attrs[key][1] += 1
                if got == want:
                    self.attrs[key][0] += 1
                elif self.keep_errors:
                    self._error(f"{doc_id} {key}: {text[g['start'] : g['end']]!r} want {want!r} got {got!r}")
        if self.keep_errors:
            matched_gold = {gi for _, gi in pairs}
            matched_pred = {pi for pi, _ in pairs}
            for gi, g in enumerate(gold):
                if gi not in matched_gold:
                    self._error(f"{doc_id} missed {g['label']} {text[g['start'] : g['end']]!r}")
            for pi, p in enumerate(pred):
                if pi not in matched_pred:
                    self._error(f"{doc_id} spurious {p['label']} {text[p['start'] : p['end']]!r}")
        for g in gold:
            want = g.get("attrs", {}).get("is_negated")
            if want is None:
                continue
            hit = next((p for p in pred if overlaps((p["start"], p["end"]), (g["start"], g["end"]))), None)
            self.add_negation(want, None if hit is None else bool(attr_value(hit["span"], "is_negated")))

    def add_negation(self, want: bool, got: bool | None) -> None:
        n = self.neg
        n["total"] += 1
        if got is None:
            n["unmatched"] += 1
            if want:
                n["fn"] += 1
            return
        n["right"] += int(got == want)
        if want and got:
            n["tp"] += 1
        elif got and not want:
            n["fp"] += 1
        elif want and not got:
            n["fn"] += 1

    def report(self) -> dict[str, Any]:
        labels = {
            lab: {
                "exact": prf(c["exact_tp"], c["pred"], c["gold"]),
                "overlap": prf(c["overlap_tp"], c["pred"], c["gold"]),
            }
            for lab, c in sorted(self.label.items())
        }
        n = self.neg
        neg = prf(n["tp"], n["tp"] + n["fp"], n["tp"] + n["fn"])
        neg.update(
            {
                "accuracy": round(n["right"] / n["total"], 4) if n["total"] else None,
                "total": n["total"],
                "unmatched": n["unmatched"],
            }
        )
        attrs = {k: {"accuracy": round(r / t, 4), "n": t} for k, (r, t) in sorted(self.attrs.items())}
        return {"labels": labels, "attrs": attrs, "negation": neg, "errors": self.errors}


def _offsets(x: Any) -> tuple[int, int] | None:
    """A Span, a (start, end) pair, or a dict with start/end -> character offsets."""
    if x is None:
        return None
    if hasattr(x, "start_char"):
        return (x.start_char, x.end_char)
    if isinstance(x, dict):
        return (x.get("start_char", x.get("start")), x.get("end_char", x.get("end")))
    return (x[0], x[1])


def decisions_score(doc: Doc, gold_decisions: list[dict[str, Any]]) -> dict[str, Any]:
    """Decision items, outcomes and guideline links of one Doc against its gold decisions."""
    got = list(getattr(doc._, "decisions", None) or []) if doc.has_extension("decisions") else []

    def field(rec: Any, name: str) -> Any:
        return rec.get(name) if isinstance(rec, dict) else getattr(rec, name, None)

    items_right = outcome_right = guide_tp = guide_gold = guide_pred = 0
    used: set[int] = set()
    for gd in gold_decisions:
        guide_gold += len(gd.get("guidelines", []))
        for i, rec in enumerate(got):
            item = _offsets(field(rec, "item"))
            if i in used or item is None or not overlaps(item, tuple(gd["item"])):
                continue
            used.add(i)
            items_right += 1
            outcome_right += int(field(rec, "outcome") == gd["outcome"])
            guides = field(rec, "guidelines") or []
            guide_pred += len(guides)
            for g in gd.get("guidelines", []):
                guide_tp += int(any(overlaps(_offsets(x), tuple(g)) for x in guides))
            break
    return {
        "gold": len(gold_decisions),
        "pred": len(got),
        "items_matched": items_right,
        "outcome_right": outcome_right,
        "guidelines": prf(guide_tp, guide_pred, guide_gold),
    }


def load_gold(path: str | Path, texts_dir: str | Path | None = None) -> list[Record]:
    """Gold records; a record without "text" names its text file TEXTS_DIR/ID.txt and its sha1."""
    docs = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    for d in docs:
        if "text" in d:
            continue
        if not texts_dir:
            raise ValueError(f"{path} holds no texts: give texts_dir")
        text = (Path(texts_dir) / f"{d['id']}.txt").read_text(encoding="utf-8")
        if hashlib.sha1(text.encode("utf-8")).hexdigest() != d["sha1"]:
            raise ValueError(f"{d['id']}.txt in {texts_dir} is not the annotated text")
        d["text"] = text
    return docs


def evaluate_docs(docs: Iterable[Doc], records: list[Record], errors: bool = False) -> dict[str, Any]:
    """The report for already processed Docs (one per record, same order)."""
    tally = Tally(keep_errors=errors)
    dec: dict[str, int] = defaultdict(int)
    guide = [0, 0, 0]
    for gold, doc in zip(records, docs, strict=True):
        tally.add(gold["id"], gold["text"], span_records(doc), gold["spans"])
        if "decisions" in gold:
            d = decisions_score(doc, gold["decisions"])
            for k in ("gold", "pred", "items_matched", "outcome_right"):
                dec[k] += d[k]
            guide[0] += d["guidelines"]["tp"]
            guide[1] += d["guidelines"]["pred"]
            guide[2] += d["guidelines"]["gold"]
    out = tally.report()
    out["decisions"] = dict(dec) | {"guidelines": prf(*guide)}
    out["docs"] = len(records)
    if not errors:
        out.pop("errors", None)
    return out


def evaluate(nlp: Language, records: list[Record], errors: bool = False) -> dict[str, Any]:
    """Run ``nlp`` over the records' texts and score them (adds ``seconds``)."""
    t0 = time.perf_counter()
    docs = list(nlp.pipe(r["text"] for r in records))
    seconds = time.perf_counter() - t0
    out = evaluate_docs(docs, records, errors)
    out["seconds"] = round(seconds, 3)
    return out


def format_table(report: dict[str, Any]) -> str:
    """Per-label P/R/F1 (exact and overlap) as a Markdown table."""
    lines = [
        "| label | gold | pred | exact P | exact R | exact F1 | overlap P | overlap R | overlap F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, s in report["labels"].items():
        e, o = s["exact"], s["overlap"]
        lines.append(
            f"| {label} | {e['gold']} | {e['pred']} | {e['p']:.3f} | {e['r']:.3f} | {e['f']:.3f} "
            f"| {o['p']:.3f} | {o['r']:.3f} | {o['f']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``imr evaluate MODEL GOLD.jsonl``: print the table (or the JSON report)."""
    ap = argparse.ArgumentParser(
        prog="imr evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("model", help="package name or path for spacy.load")
    ap.add_argument("gold", help="gold JSONL (shared/SCHEMA.md format)")
    ap.add_argument("--texts", help="folder of ID.txt files, for records that hold no text")
    ap.add_argument("--json", action="store_true", help="print the full JSON report (score.py's layout)")
    ap.add_argument("--errors", action="store_true", help="list errors (quotes document text: local use only)")
    args = ap.parse_args(argv)
    nlp = spacy.load(args.model)
    report = evaluate(nlp, load_gold(args.gold, args.texts), errors=args.errors)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(format_table(report))
        neg = report["negation"]
        print(f"\nnegation: P {neg['p']} R {neg['r']} F1 {neg['f']} (n={neg['total']})")
        for name, a in report["attrs"].items():
            print(f"{name}: {a['accuracy']} (n={a['n']})")
        d = report["decisions"]
        print(
            f"decisions: gold {d.get('gold', 0)} pred {d.get('pred', 0)} items matched {d.get('items_matched', 0)} "
            f"outcome right {d.get('outcome_right', 0)} guidelines F1 {d['guidelines']['f']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
