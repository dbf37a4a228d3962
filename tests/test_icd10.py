"""``imr_icd10``: offline ICD-10-CM linking of DIAGNOSIS entities."""

from __future__ import annotations

from pathlib import Path

import imr_spacy.abbreviations  # noqa: F401  (registers imr_abbreviations)
import pytest
import spacy
import srsly
from imr_spacy.icd10 import IMRICD10Linker, bag_of, tokens
from imr_spacy.tables import Tables, load_tables
from imr_spacy.tokenizer import build_tokenizer
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span

ROOT = Path(__file__).resolve().parents[1]
ICD10 = ROOT / "patterns" / "icd10"
GOLD = Path(__file__).with_name("data") / "icd10_gold.jsonl"


@pytest.fixture(scope="module")
def tables() -> Tables:
    return load_tables(ICD10)


@pytest.fixture(scope="module")
def linker(tables: Tables) -> IMRICD10Linker:
    linker = IMRICD10Linker(["DIAGNOSIS"], use_doc_abbreviations=True)
    linker.initialize(tables=tables)
    return linker


def small_tables(tables: Tables) -> Tables:
    """The word rules of the real tables with a few codes: fast to build and to serialize."""
    codes = [
        {"code": "G56.00", "desc": "Carpal tunnel syndrome, unspecified upper limb"},
        {"code": "G56.01", "desc": "Carpal tunnel syndrome, right upper limb"},
        {"code": "G56.02", "desc": "Carpal tunnel syndrome, left upper limb"},
        {"code": "G56.03", "desc": "Carpal tunnel syndrome, bilateral upper limbs"},
        {"code": "G57.00", "desc": "Lesion of sciatic nerve, unspecified lower limb"},
        {"code": "X01.1", "desc": "Widget disorder of elbow"},
        {"code": "X01.2", "desc": "Widget disorder of the elbow, unspecified"},
    ]
    synonyms = [
        {"phrase": "carpal tunnel syndrome", "code": "G56.00"},
        {"phrase": "piriformis syndrome", "code": "G57.00"},
        {"phrase": "fracture", "code": None},
    ]
    return {
        **{k: tables[k] for k in ("words", "levels", "qualifiers", "abbreviations")},
        "codes": codes,
        "synonyms": synonyms,
    }


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("low back pain", "M54.50"),
        ("Chronic low back pain", "M54.50"),
        ("LBP", "M54.50"),
        ("lumbar radiculopathy", "M54.16"),
        ("Radiculopathy, lumbar region", "M54.16"),
        ("Right carpal tunnel syndrome", "G56.01"),
        ("left-sided carpal tunnel syndrome", "G56.02"),
        ("bilateral CTS", "G56.03"),
        ("carpal tunnel syndrome", "G56.00"),
        ("bilateral knee pain", "M25.569"),  # no bilateral code: the unspecified one
        ("pain in the left knee", "M25.562"),
        ("3 mm disc protrusion at L5-S1", "M51.27"),
        ("herniated disk at L4-5", "M51.26"),
        ("cervical DDD", "M50.30"),
        ("cervical strain", "S16.1XXA"),
        ("lumbar sprain/strain", "S33.5XXA"),
        ("lumbar spondylosis", "M47.816"),  # "Spondylosis without myelopathy or radiculopathy, lumbar region"
        ("Numbness in the right hand", "R20.0"),  # a synonym that holds for any site
        ("post-traumatic stress disorder", "F43.10"),
    ],
)
def test_links_common_diagnoses(linker: IMRICD10Linker, text: str, code: str) -> None:
    assert linker.link(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("vitamin D deficiency", "E55.9"),  # a letter kept after "vitamin"...
        ("vitamin deficiency", "E56.9"),  # ...so the two differ
        ("chronic hepatitis C", "B18.2"),  # "Chronic viral hepatitis C": "viral" completes
        ("alcohol abuse", "F10.10"),  # containment: "Alcohol abuse, uncomplicated"
        ("left wrist osteoarthritis", "M19.032"),  # "Primary osteoarthritis, left wrist"
        ("pelvic segmental dysfunction", "M99.05"),  # "Segmental and somatic dysfunction": a conjunct
        ("right lateral collateral ligament sprain", "S83.421A"),  # the implied site: "of right knee"
        ("fracture of the left femur", "S72.92XA"),  # femur -> femoral
        ("sacral fracture", "S32.10XA"),  # "Unspecified fracture of sacrum"
        ("right radial neuropathy", "G56.31"),  # variant: "Lesion of radial nerve"
        ("left shoulder arthralgia", "M25.512"),  # variant: "Pain in left shoulder"
        ("brachial plexopathy", "G54.0"),  # "Brachial plexus disorders"
        ("cervicothoracic spondylosis", "M47.813"),  # "without ..." beats "Other spondylosis"
        ("coronary atherosclerosis", "I25.10"),  # category inclusion term "Coronary (artery) atherosclerosis"
        ("Raynaud's disease", "I73.00"),  # category inclusion term -> the "without gangrene" default
        ("grade 2 spondylolisthesis at L4-5", "M43.16"),  # "grade" drops its number
        ("osteoar-\nthritis of the left knee", "M17.12"),  # hyphenated at a line end
    ],
)
def test_general_linking_mechanisms(linker: IMRICD10Linker, text: str, code: str) -> None:
    assert linker.link(text) == code


def test_line_end_hyphen_is_joined_only_into_a_known_word(linker: IMRICD10Linker) -> None:
    assert linker.link("radiculo-\n\npathy") == linker.link("radiculopathy") == "M54.10"
    assert linker.link("right hip arthr-\nalgia") == "M25.551"
    assert linker.link("carpal tunnel syn-\ndrome") == "G56.00"
    assert linker.link("carpal-\ntunnel syndrome") == "G56.00"  # "carpaltunnel" is unknown: two words


@pytest.mark.parametrize(
    "text",
    [
        "fracture",
        "pain",
        "right and left knee pain",  # two sides: two codes, not the unspecified one
        "carpal tunnel syndrome versus cubital tunnel syndrome",
        "status post carpal tunnel release",
        "stiffness",  # containment needs two words
        "opioid abuse in remission with something else",
        "",
    ],
)
def test_vague_or_compound_phrases_get_no_code(linker: IMRICD10Linker, text: str) -> None:
    assert linker.link(text) is None


def test_bag_normalization(linker: IMRICD10Linker) -> None:
    words, side = bag_of(tokens("Bilateral herniated disks at C5-6, 4 mm"), linker.norm)
    assert set(words) == {"herniation", "disc", "cervical"}
    assert side == "bilateral"
    assert bag_of(tokens("right and left shoulder"), linker.norm)[1] == "mixed"
    assert set(bag_of(tokens("Vitamin D deficiency"), linker.norm)[0]) == {"vitamin", "d", "deficiency"}
    assert set(bag_of(tokens("a deficiency"), linker.norm)[0]) == {"deficiency"}
    assert set(bag_of(tokens("grade 1 anterolisthesis"), linker.norm)[0]) == {"spondylolisthesis"}


def test_ambiguous_description_gives_none_and_synonym_keeps_laterality(tables: Tables) -> None:
    linker = IMRICD10Linker(["DIAGNOSIS"], use_doc_abbreviations=True)
    linker.initialize(tables=small_tables(tables))
    assert linker.link("widget disorder of the elbow") is None  # two codes share the words
    assert linker.link("right carpal tunnel syndrome") == "G56.01"  # synonym + the code's side group
    assert linker.link("fracture") is None


def test_synonym_table_is_consistent(linker: IMRICD10Linker, tables: Tables) -> None:
    billable = {row["code"] for row in tables["codes"]}
    seen: dict[frozenset[str], str | None] = {}
    for row in tables["synonyms"]:
        words, side = bag_of(tokens(row["phrase"]), linker.norm)
        assert words and side is None, row["phrase"]
        for key in ("code", "right", "left", "bilateral"):
            assert row.get(key) is None or row[key] in billable, row
        bag = frozenset(words)
        assert seen.setdefault(bag, row["code"]) == row["code"], row["phrase"]
    for row in tables["abbreviations"]:
        assert row["abbr"].strip() == row["abbr"] and tokens(row["long"])


def test_codes_table_is_the_billable_code_set(tables: Tables) -> None:
    (meta,) = tables["codeset"]
    assert meta["codes"] == len(tables["codes"]) > 30000
    codes = {row["code"] for row in tables["codes"]}
    assert {"M54.50", "G56.01", "S39.012A", "M51.369"} <= codes
    assert not {"M54.5", "M51.36", "S39.012D", "W01.0XXA"} & codes  # categories, later encounters, external causes


def test_gold_phrases(linker: IMRICD10Linker) -> None:
    rows = list(srsly.read_jsonl(GOLD))
    coded = [r for r in rows if r["icd10"]]
    preds = [linker.link(r["text"]) for r in coded]
    right = sum(p == r["icd10"] for p, r in zip(preds, coded, strict=True))
    wrong = sum(p is not None and p != r["icd10"] for p, r in zip(preds, coded, strict=True))
    assert len(rows) >= 100
    assert right / len(coded) >= 0.8
    assert wrong <= 0.03 * len(coded)


def make_nlp(tables: Tables, use_doc_abbreviations: bool = True) -> Language:
    nlp = spacy.blank("en")
    nlp.tokenizer = build_tokenizer(nlp)
    nlp.add_pipe("imr_abbreviations")
    nlp.add_pipe("imr_icd10", config={"use_doc_abbreviations": use_doc_abbreviations})
    nlp.get_pipe("imr_icd10").initialize(tables=tables)
    return nlp


def with_ents(nlp: Language, text: str, phrases: list[str]) -> Doc:
    doc = nlp.make_doc(text)
    spans = []
    for phrase in phrases:
        start = text.rindex(phrase)
        spans.append(doc.char_span(start, start + len(phrase), "DIAGNOSIS"))
    doc.ents = spans
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc


TEXT = "The injured worker has piriformis syndrome (PFS) on the right.\n\nThe PFS was treated. Also a fracture."


def test_component_uses_the_letters_own_abbreviations(tables: Tables) -> None:
    small = small_tables(tables)
    doc = with_ents(make_nlp(small), TEXT, ["piriformis syndrome", "PFS", "fracture"])
    assert [e._.icd10 for e in doc.ents] == ["G57.00", "G57.00", None]
    doc = with_ents(make_nlp(small, use_doc_abbreviations=False), TEXT, ["piriformis syndrome", "PFS"])
    assert [e._.icd10 for e in doc.ents] == ["G57.00", None]


def test_component_round_trips(tables: Tables, tmp_path: Path) -> None:
    nlp = make_nlp(small_tables(tables))
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.get_pipe("imr_icd10").tables == nlp.get_pipe("imr_icd10").tables
    doc = with_ents(loaded, TEXT, ["piriformis syndrome", "PFS"])
    assert [e._.icd10 for e in doc.ents] == ["G57.00", "G57.00"]
    docs = list(DocBin(docs=[doc], store_user_data=True).get_docs(loaded.vocab))
    assert [e._.icd10 for e in docs[0].ents] == ["G57.00", "G57.00"]
    assert isinstance(docs[0].ents[0], Span)
