"""The annotated corpus (corpus/*.jsonl): valid against SCHEMA.md and the project tokenizer, split by
vocabulary, reproducible from the generator."""

from __future__ import annotations

import importlib
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from imr_spacy.exports.tokens import imr_tokenizer_nlp
from spacy.language import Language

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SPLITS = ("train", "dev", "test")
OPEN = ("DIAGNOSIS", "TREATMENT")


def _generator(module: str) -> Any:
    return importlib.import_module(f"corpus.generator.{module}")


@pytest.fixture(scope="module")
def tokenizer_nlp() -> Language:
    return imr_tokenizer_nlp()


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict[str, Any]]]:
    out = {}
    for split in SPLITS:
        lines = (CORPUS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        out[split] = [json.loads(line) for line in lines if line.strip()]
    return out


def test_size_formats_items_and_outcomes(splits: dict[str, list[dict[str, Any]]]) -> None:
    docs = [d for s in SPLITS for d in splits[s]]
    assert len(docs) >= 250
    for split in SPLITS:
        assert {d["meta"]["format"] for d in splits[split]} == {"older", "newer"}, split
    items = Counter(len(d["decisions"]) for d in docs)
    assert min(items) == 1 and max(items) == 7
    outcomes = Counter(dec["outcome"] for d in docs for dec in d["decisions"])
    share = outcomes["overturned"] / sum(outcomes.values())
    assert 0.05 <= share <= 0.18, share
    labels = Counter(s["label"] for d in docs for s in d["spans"])
    assert set(labels) == set(_generator("check").LABELS)


def test_every_record_is_valid_and_token_aligned(
    splits: dict[str, list[dict[str, Any]]], tokenizer_nlp: Language
) -> None:
    check = _generator("check").check_record
    ids = set()
    for split in SPLITS:
        for rec in splits[split]:
            assert rec["id"] not in ids
            ids.add(rec["id"])
            assert check(rec, tokenizer_nlp) == [], rec["id"]


def test_attributes_by_label(splits: dict[str, list[dict[str, Any]]]) -> None:
    want = {
        "DATE": {"iso", "date_role"},
        "VISIT_COUNT": {"count_min", "count_max"},
        "REFLEX_GRADE": {"reflex", "grade", "side"},
        "GUIDELINE_CITE": {"guideline", "pages"},
        "DECISION": {"outcome"},
        "EVIDENCE": {"is_negated"},
        "FINDING": {"is_negated"},
    }
    forms: Counter[str] = Counter()
    for rec in splits["train"] + splits["test"]:
        for s in rec["spans"]:
            attrs = s["attrs"]
            assert want.get(s["label"], set()) <= set(attrs), (rec["id"], s["label"])
            assert "section" in attrs
            if s["label"] == "DIAGNOSIS" and "icd10" in attrs:
                assert attrs["icd10"][0].isalpha() and attrs["icd10"][1:3].isdigit()
            if s["label"] == "EVIDENCE" and attrs["is_negated"]:
                forms["negated evidence"] += 1
            if s["label"] == "DATE" and len(attrs["iso"]) == 7:
                forms["month date"] += 1
            if s["label"] == "VISIT_COUNT" and attrs["count_min"] < attrs["count_max"]:
                forms["count range"] += 1
            if s["label"] == "GUIDELINE_CITE" and attrs["pages"]:
                forms["cite pages"] += 1
            if attrs.get("is_historical"):
                forms["historical"] += 1
            if attrs.get("is_hypothetical"):
                forms["hypothetical"] += 1
    assert all(
        forms[k] >= 10
        for k in ("negated evidence", "month date", "count range", "cite pages", "historical", "hypothetical")
    ), forms


def test_decisions_point_at_items_and_cites(splits: dict[str, list[dict[str, Any]]]) -> None:
    for rec in splits["dev"]:
        entities = {(s["start"], s["end"]): s for s in rec["spans"]}
        for dec in rec["decisions"]:
            a, b = dec["item"]
            inside = [s for (x, y), s in entities.items() if a <= x and y <= b]
            assert any(s["label"] == "TREATMENT" for s in inside), rec["id"]
            for g in dec["guidelines"]:
                assert entities[tuple(g)]["label"] == "GUIDELINE_CITE"


def test_test_split_holds_vocabulary_no_train_letter_has(splits: dict[str, list[dict[str, Any]]]) -> None:
    report = _generator("report")
    seen = {report.span_key(rec["text"][s["start"] : s["end"]]) for rec in splits["train"] for s in rec["spans"]}
    for label in OPEN:
        test_terms = {
            report.span_key(rec["text"][s["start"] : s["end"]])
            for rec in splits["test"]
            for s in rec["spans"]
            if s["label"] == label
        }
        unseen = test_terms - seen
        assert len(unseen) >= 30, (label, len(unseen))
    train_spans = " | ".join(
        report.span_key(rec["text"][s["start"] : s["end"]])
        for rec in splits["train"]
        for s in rec["spans"]
        if s["label"] in OPEN
    )
    found = report.held_out_pattern(("test",)).search(train_spans)
    assert found is None, f"a test-only term is in train: {found.group()}"


def test_most_test_only_terms_are_absent_from_the_rule_lexicon() -> None:
    """The held-out vocabulary measures generalization: the rules' lexicon must not list most of it."""
    rows = _generator("report").report()
    test = sum(r["test"] for r in rows.values())
    absent = sum(r["test_absent_from_rules"] for r in rows.values())
    assert test >= 300 and absent >= 0.75 * test, (absent, test)


def test_wrapping_keeps_offsets() -> None:
    builder = _generator("builder")
    frags = [builder.Frag("The patient has "), builder.Frag("degenerative cervical disc disease", "DIAGNOSIS", {})]
    frags += [
        builder.Frag(" and requests " + "follow-up visits " * 12 + "for the "),
        builder.Frag("cervical spine", "X", {}),
    ]
    for fmt in ("older", "newer"):
        laid = builder.layout([builder.Block(frags, "S")], fmt, random.Random(3))
        got = [(" ".join(laid.text[s.start : s.end].replace("-\n", "").split()), s.label) for s in laid.spans]
        assert got == [("degenerative cervical disc disease", "DIAGNOSIS"), ("cervical spine", "X")]
        assert ("\n\n" in laid.text) == (fmt == "older")


def test_generator_is_deterministic_and_reproduces_the_corpus(splits: dict[str, list[dict[str, Any]]]) -> None:
    main = _generator("__main__")
    again = main.generate(20161209, sum(len(v) for v in splits.values()))
    for split in SPLITS:
        assert [d["text"] for d in again[split]] == [d["text"] for d in splits[split]], split
        assert [d["spans"] for d in again[split]] == [d["spans"] for d in splits[split]], split
