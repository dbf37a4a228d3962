"""Rules only vs model only vs rules + model (each merge policy) on a gold JSONL, as Markdown tables.

    .venv/bin/python training/compare.py --model training/model-best --gold corpus/test.jsonl \\
        [--patterns patterns] [--json out.json] \\
        [--policies model,model@replace,model@none,fill,longer,fill:DIAGNOSIS=model+EVIDENCE=model]

The rules-only pipeline is ``configs/pipeline.cfg``; the combined one is ``configs/pipeline_trained.cfg`` with
``components.model_merge.policy`` overridden by each spec ``POLICY[@SCOPE][:LABEL=POLICY+...]``: ``label_policies``
after the colon, and the agreement with the BILUO tagger after the ``@``: ``all`` (default: a NER span the tagger
does not also produce is dropped), ``replace`` (it may only fill gaps) or ``none`` (no agreement); after a ``!``
the ``confirm_labels`` (``model!DIAGNOSIS``: rule DIAGNOSIS entities no model span overlaps are dropped), and
after a ``~`` the ``confirm_below`` of the tagger veto (``model!DIAGNOSIS~0.001``: dropped only when the tagger
gives each of their tokens an entity probability below 0.001).
"model only" is the trained tok2vec + ner alone. Scores come from
:mod:`imr_spacy.evaluate` (identical to shared/tools/score.py).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import spacy
from imr_spacy import evaluate as ev
from imr_spacy.model_merge import OPEN_LABELS
from spacy.language import Language
from spacy.util import get_sourced_components

ROOT = Path(__file__).resolve().parents[1]


def assemble(config: str, overrides: dict[str, Any]) -> Language:
    """The pipeline of a config, as ``spacy assemble`` builds it (sourced components are not re-initialized)."""
    cfg = spacy.util.load_config(ROOT / "configs" / config, overrides=overrides, interpolate=False)
    nlp = spacy.util.load_model_from_config(cfg, auto_fill=True)
    sourced = get_sourced_components(cfg.interpolate())
    nlp._link_components()
    with nlp.select_pipes(disable=[*sourced]):
        nlp.initialize()
    return nlp


def systems(model: Path, patterns: Path, policies: list[str]) -> dict[str, Language]:
    out = {"rules only": assemble("pipeline.cfg", {"paths.patterns": str(patterns)})}
    out["model only"] = spacy.load(model, exclude=["tagger"])
    for spec in policies:
        spec_head, _, confirm_spec = spec.partition("!")
        confirm, _, below = confirm_spec.partition("~")
        head, _, per_label = spec_head.partition(":")
        policy, _, scope = head.partition("@")
        scope = scope or "all"
        label_policies = dict(x.split("=") for x in per_label.split("+") if x)
        out[f"rules + model ({spec})"] = assemble(
            "pipeline_trained.cfg",
            {
                "paths.patterns": str(patterns),
                "paths.model": str(model),
                "paths.general_words": str(ROOT / "training" / "general_words.txt"),
                "components.model_merge.policy": policy,
                "components.model_merge.label_policies": label_policies,
                "components.model_merge.agree_key": None if scope == "none" else "model_tags",
                "components.model_merge.agree_scope": "all" if scope == "none" else scope,
                "components.model_merge.confirm_labels": [x for x in confirm.split("+") if x],
                "components.model_merge.confirm_tagger": "tagger" if below else None,
                "components.model_merge.confirm_below": float(below) if below else 0.001,
            },
        )
    return out


def table(reports: dict[str, dict[str, Any]], kind: str) -> str:
    """One row per label, one column per system: F1 (P/R) of ``kind`` matching."""
    names = list(reports)
    labels = sorted({lab for r in reports.values() for lab in r["labels"]})
    lines = [f"| label ({kind}) | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for lab in labels:
        cells = []
        for name in names:
            s = reports[name]["labels"].get(lab, {}).get(kind)
            if (name == "model only" and lab not in OPEN_LABELS) or s is None:
                cells.append("–")
            else:
                cells.append(f"{s['f']:.3f} ({s['p']:.2f}/{s['r']:.2f})")
        lines.append(f"| {lab} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "training" / "model-best")
    ap.add_argument("--gold", type=Path, default=ROOT / "corpus" / "test.jsonl")
    ap.add_argument("--patterns", type=Path, default=ROOT / "patterns")
    ap.add_argument("--policies", default="model,model@none,fill,longer")
    ap.add_argument("--json", type=Path, help="also write all reports here")
    args = ap.parse_args()
    records = ev.load_gold(args.gold)
    reports = {}
    specs = [p for p in args.policies.split(",") if p]
    for name, nlp in systems(args.model, args.patterns, specs).items():
        reports[name] = ev.evaluate(nlp, records)
    print(f"{args.gold} ({len(records)} docs)\n")
    print(table(reports, "overlap"))
    print()
    print(table(reports, "exact"))
    print()
    for name, r in reports.items():
        d = r["decisions"]
        print(
            f"{name}: negation F1 {r['negation']['f']}, "
            f"decisions matched {d.get('items_matched', 0)}/{d.get('gold', 0)}, "
            f"guidelines F1 {d['guidelines']['f']}, {r['seconds']} s"
        )
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
