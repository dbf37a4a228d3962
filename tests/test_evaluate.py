"""imr_spacy.evaluate: per-label scores that agree with the official scorer (shared/tools/score.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import spacy
from imr_spacy import evaluate as ev
from spacy.language import Language

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

SCORE_PY = SHARED / "tools" / "score.py"
SEED_GOLD = SHARED / "gold" / "seed.jsonl"


def _official() -> Any:
    if not SCORE_PY.exists():
        pytest.skip("shared/tools/score.py is not available")
    spec = importlib.util.spec_from_file_location("official_score", SCORE_PY)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("seconds", "errors")}


def _few_corpus_docs(tmp_path: Path) -> Path:
    lines = (ROOT / "corpus" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    lines += (ROOT / "corpus" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_agrees_with_the_official_scorer(nlp: Language, tmp_path: Path) -> None:
    official = _official()
    for path in (SEED_GOLD, _few_corpus_docs(tmp_path)):
        want = _comparable(official.run_gold(nlp, str(path)))
        got = _comparable(ev.evaluate(nlp, ev.load_gold(path)))
        assert got == want, path.name


def _gold(start: int, end: int, label: str, **attrs: Any) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, "attrs": attrs}


def test_exact_overlap_attributes_and_negation() -> None:
    nlp = spacy.blank("en")
    text = "No therapy reports; neck pain on 02/23/2009."
    doc = nlp(text)
    doc.ents = [
        doc.char_span(3, 10, label="EVIDENCE"),  # "therapy" (overlaps the gold "therapy reports")
        doc.char_span(20, 29, label="DIAGNOSIS"),  # exact
        doc.char_span(33, 43, label="TREATMENT"),  # wrong label
    ]
    record = {
        "id": "t1",
        "text": text,
        "spans": [
            _gold(3, 18, "EVIDENCE", is_negated=True),
            _gold(20, 29, "DIAGNOSIS", is_negated=False, section=None),
            _gold(33, 43, "DATE", iso="2009-02-23"),
        ],
    }
    report = ev.evaluate_docs([doc], [record])
    labels = report["labels"]
    assert labels["DIAGNOSIS"]["exact"]["f"] == 1.0
    assert labels["EVIDENCE"]["exact"]["tp"] == 0 and labels["EVIDENCE"]["overlap"]["tp"] == 1
    assert labels["DATE"]["overlap"]["r"] == 0.0 and labels["TREATMENT"]["overlap"]["p"] == 0.0
    assert report["attrs"] == {"DIAGNOSIS.section": {"accuracy": 1.0, "n": 1}}
    # gold negated evidence whose overlapping prediction is not negated: a false negative
    assert report["negation"]["gold"] == 1 and report["negation"]["tp"] == 0 and report["negation"]["total"] == 2
    assert "errors" not in report


def test_format_table_and_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nlp = spacy.blank("en")
    nlp.to_disk(tmp_path / "blank")
    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps({"id": "a", "text": "Neck pain.", "spans": [_gold(0, 9, "DIAGNOSIS")]}) + "\n")
    assert ev.main([str(tmp_path / "blank"), str(gold)]) == 0
    out = capsys.readouterr().out
    assert "| DIAGNOSIS | 1 | 0 | 0.000 | 0.000 | 0.000 |" in out
