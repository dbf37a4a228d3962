"""training/convert.py: gold JSONL -> DocBin with BILUO tags, and the seeded word-swap augmentation."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import spacy
from spacy.tokens import DocBin

from corpus.generator import report

ROOT = Path(__file__).resolve().parents[1]
TEXT = "The patient has lumbar strain and requests Zorvolex 35mg. An adequate rationale was not given on 02/03/2015."


@functools.cache
def _convert() -> ModuleType:
    """training/convert.py as a module (registered in ``sys.modules``, as its dataclass needs)."""
    spec = importlib.util.spec_from_file_location("imr_training_convert", ROOT / "training" / "convert.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def at(phrase: str, label: str) -> dict:
        start = TEXT.index(phrase)
        return {"start": start, "end": start + len(phrase), "label": label, "attrs": {}}

    rec = {
        "id": "t-1",
        "text": TEXT,
        "spans": [at("lumbar strain", "DIAGNOSIS"), at("Zorvolex 35mg", "TREATMENT"), at("02/03/2015", "DATE")],
        "decisions": [],
    }
    path = tmp_path_factory.mktemp("gold") / "gold.jsonl"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    return path


def _docs(path: Path) -> list:
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


def _seeded_docs(convert: ModuleType, gold: Path, tmp_path: Path, **options: Any) -> list:
    """The docs of converting ``gold`` with ``options``, after checking that a second run writes the same bytes."""
    n = convert.convert(gold, tmp_path / "a.spacy", **options)
    convert.convert(gold, tmp_path / "b.spacy", **options)
    assert (tmp_path / "a.spacy").read_bytes() == (tmp_path / "b.spacy").read_bytes()
    docs = _docs(tmp_path / "a.spacy")
    assert len(docs) == n
    return docs


def test_convert_keeps_open_labels_and_sets_biluo_tags(gold: Path, tmp_path: Path) -> None:
    assert _convert().convert(gold, tmp_path / "out.spacy") == 1
    (doc,) = _docs(tmp_path / "out.spacy")
    assert [(e.text, e.label_) for e in doc.ents] == [("lumbar strain", "DIAGNOSIS"), ("Zorvolex 35mg", "TREATMENT")]
    assert [t.tag_ for t in doc[3:5]] == ["B-DIAGNOSIS", "L-DIAGNOSIS"]
    assert doc[0].tag_ == "O"


def test_augmented_copies_swap_only_plain_words_outside_spans_and_are_seeded(gold: Path, tmp_path: Path) -> None:
    convert = _convert()
    docs = _seeded_docs(convert, gold, tmp_path, augment=3, seed=5)
    assert len(docs) == 4
    original = docs[0]
    words = set(convert.general_words([]))
    for copy in docs[1:]:
        assert len(copy) == len(original)
        assert [(e.text, e.label_) for e in copy.ents] == [(e.text, e.label_) for e in original.ents]
        assert copy[-2].text == "02/03/2015"  # other gold spans are kept too
        for a, b in zip(original, copy, strict=True):
            assert a.text == b.text or (b.lower_ in words and not a.is_stop)
    assert any(c.text != original.text for c in docs[1:])


def test_general_words_skip_words_inside_gold_entities() -> None:
    convert = _convert()
    rec = {"text": "chronic adequate pain", "spans": [{"start": 0, "end": 21, "label": "DIAGNOSIS"}]}
    assert "adequate" in convert.general_words([])
    assert "adequate" not in convert.general_words([rec])


def test_icd10_phrases_are_clean_diagnosis_wordings() -> None:
    phrases = _convert().icd10_phrases()
    assert len(phrases) > 10_000
    assert len(set(phrases)) == len(phrases)
    bad_ends = {"of", "and", "with", "to", "in", "or", "by", "due", "for", "without", "at", "on"}
    for phrase in phrases:
        assert phrase.split()[-1].lower() not in bad_ends, phrase
        assert "encounter" not in phrase and "(" not in phrase and not any(c.isdigit() for c in phrase), phrase
        assert not phrase.startswith(("Other", "Unspecified", "Poisoning")), phrase


def test_swapped_diagnoses_take_icd10_wordings_and_keep_every_other_span(gold: Path, tmp_path: Path) -> None:
    convert = _convert()
    _original, *copies = _seeded_docs(convert, gold, tmp_path, augment=4, seed=3, swap_diagnoses=1.0)
    assert len(copies) == 4
    known = {p.lower() for p in convert.icd10_phrases()} | {p.split(",")[0].lower() for p in convert.icd10_phrases()}
    for copy in copies:
        labels = [(e.label_) for e in copy.ents]
        assert labels == ["DIAGNOSIS", "TREATMENT"]
        diagnosis, treatment = copy.ents
        assert diagnosis.text.lower() in known and diagnosis.text != "lumbar strain"
        assert treatment.text == "Zorvolex 35mg" and copy[-2].text == "02/03/2015"
        assert diagnosis[0].tag_ in ("B-DIAGNOSIS", "U-DIAGNOSIS")
        assert copy[diagnosis.end].text == "and"  # the text around the new wording is kept


def test_nonce_treatments_make_up_treatment_words_only(gold: Path, tmp_path: Path) -> None:
    original, *copies = _seeded_docs(_convert(), gold, tmp_path, augment=4, seed=3, nonce_treatments=1.0)
    assert len(copies) == 4
    made_up = 0
    for copy in copies:
        diagnosis, treatment = copy.ents
        assert diagnosis.text == "lumbar strain" and treatment.label_ == "TREATMENT"
        assert [t.text for t in treatment[1:]] == [t.text for t in original.ents[1][1:]]  # the strength is kept
        word = treatment[0].text
        assert word == "Zorvolex" or (word[0].isupper() and word[1:].islower() and word.isalpha())
        made_up += word != "Zorvolex"
        assert [t.tag_ for t in treatment] == [t.tag_ for t in original.ents[1]]
    assert made_up > 0


def test_nonce_parts_come_from_long_medical_words() -> None:
    convert = _convert()
    rec = {"text": "chronic radiculopathy", "spans": [{"start": 0, "end": 21, "label": "DIAGNOSIS"}]}
    heads, tails = convert.nonce_parts([rec], ["Spondylolysis"])
    assert {"chr", "radic", "spo"} <= set(heads) and {"nic", "pathy", "lysis"} <= set(tails)
    assert not any(h.startswith("cr") and len(h) < 3 for h in heads)


def test_mask_held_out_leaves_test_only_terms_unannotated(tmp_path: Path) -> None:
    """A span holding a test-only term is a missing value for the NER and the tagger, not an entity or O;
    a dev-only term stays an entity."""
    convert = _convert()
    dev_term = next(k for k in report.split_only_terms("dev") if k.isalpha())
    test_term = next(k for k in report.split_only_terms("test") if k.isalpha())
    text = f"She had {dev_term}, {test_term} and physical therapy."
    spans = [
        {"start": text.index(t), "end": text.index(t) + len(t), "label": "TREATMENT", "attrs": {}}
        for t in (dev_term, test_term, "physical therapy")
    ]
    path = tmp_path / "real.jsonl"
    path.write_text(json.dumps({"id": "r-1", "text": text, "spans": spans, "decisions": []}) + "\n", encoding="utf-8")
    assert convert.convert(path, tmp_path / "masked.spacy", mask_held_out=True, repeat=3) == 3
    docs = _docs(tmp_path / "masked.spacy")
    assert len({d.to_bytes() for d in docs}) == 1  # the same letter three times
    doc = docs[0]
    assert [e.text for e in doc.ents] == [dev_term, "physical therapy"]
    masked = doc.char_span(text.index(test_term), text.index(test_term) + len(test_term))
    assert all(t.ent_iob_ == "" and t.tag_ == "" for t in masked)
    assert doc[0].ent_iob_ == "O" and doc[0].tag_ == "O"
    with pytest.raises(ValueError, match="without --augment"):
        convert.convert(path, tmp_path / "x.spacy", mask_held_out=True, augment=1)


def test_real_training_letters_teach_no_held_out_term(tmp_path: Path) -> None:
    """Converted for training, the real letters keep no entity holding a test-only corpus term."""
    n = _convert().convert(ROOT / "corpus" / "real_train.jsonl", tmp_path / "real.spacy", mask_held_out=True)
    docs = _docs(tmp_path / "real.spacy")
    splits = json.loads((ROOT / "corpus" / "real_letters" / "splits.json").read_text(encoding="utf-8"))
    assert n == len(docs) == len(splits["real_train"])
    pattern = report.held_out_pattern()
    ents = [report.span_key(e.text) for d in docs for e in d.ents]
    assert len(ents) > 2000
    assert not [e for e in ents if pattern.search(e)]
    assert sum(1 for d in docs for t in d if t.ent_iob_ == "") > 100  # the masked spans are missing, not O
