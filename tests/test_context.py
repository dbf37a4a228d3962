"""The ``context`` component: trigger classes, pseudo-triggers, terminators, scopes, sections.

Docs are made with ``nlp.make_doc`` and their entities preset (as score.py's NegEx mode does), so
these tests do not depend on the entity patterns. All sentences are written for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import srsly
from imr_spacy.context import IMRContext
from imr_spacy.context_rules import RuleError
from imr_spacy.sentences import set_sentences
from spacy.language import Language
from spacy.tokens import Doc, Span

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FLAGS = ("is_negated", "is_historical", "is_hypothetical", "is_family", "is_uncertain")


def annotate(nlp: Language, text: str, *phrases: str, label: str = "FINDING") -> dict[str, set[str]]:
    """Run the context pipe on ``text`` with ``phrases`` as entities; phrase -> the flags set on it."""
    doc = entity_doc(nlp, text, *phrases, label=label)
    nlp.get_pipe("context")(doc)
    return {ent.text: {name for name in FLAGS if getattr(ent._, name)} for ent in doc.ents}


def entity_doc(nlp: Language, text: str, *phrases: str, label: str = "FINDING") -> Doc:
    doc = nlp.make_doc(text)
    spans = []
    for phrase in phrases:
        start = text.index(phrase)
        spans.append(doc.char_span(start, start + len(phrase), label=label))
    doc.ents = spans
    return doc


# --- negation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("There is no swelling of the right ankle.", "swelling"),
        ("She denies numbness in both hands.", "numbness"),
        ("The wrist was examined without tenderness.", "tenderness"),
        ("Examination was negative for clonus.", "clonus"),
        ("He reported an absence of radicular pain.", "radicular pain"),
    ],
)
def test_forward_negation(nlp: Language, text: str, phrase: str) -> None:
    assert "is_negated" in annotate(nlp, text, phrase)[phrase]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Muscle atrophy was not seen on inspection.", "Muscle atrophy"),
        ("A Spurling sign was negative.", "Spurling sign"),
        ("The prior rash has resolved.", "rash"),
        ("Objective functional improvement has not been established.", "functional improvement"),
        ("The physical therapy progress notes were not submitted for review.", "progress notes"),
    ],
)
def test_backward_negation(nlp: Language, text: str, phrase: str) -> None:
    assert "is_negated" in annotate(nlp, text, phrase)[phrase]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("The file contains no documentation of a home exercise program.", "home exercise program"),
        ("Surgery was requested without documented failure of conservative care.", "conservative care"),
        ("The provider does not discuss the results of the prior nerve block.", "results"),
        ("There is a lack of objective findings in the lower extremities.", "objective findings"),
        ("The treating physician failed to document the pain scores.", "pain scores"),
        ("There is no evidence of instability in the shoulder.", "instability"),
        ("Spasm of the trapezius is not documented in the notes.", "Spasm"),
    ],
)
def test_imr_reviewer_cues(nlp: Language, text: str, phrase: str) -> None:
    assert "is_negated" in annotate(nlp, text, phrase)[phrase]


def test_negation_covers_a_list(nlp: Language) -> None:
    items = ("fever", "chills", "night sweats", "weight loss")
    flags = annotate(nlp, "The claimant denies fever, chills, night sweats or weight loss.", *items)
    assert all("is_negated" in flags[item] for item in items)


def test_negated_evidence_but_not_the_treatment_it_would_warrant(nlp: Language) -> None:
    text = "There is no evidence of nerve root compromise warranting an MRI of the neck."
    flags = annotate(nlp, text, "nerve root compromise", "MRI of the neck")
    assert "is_negated" in flags["nerve root compromise"]
    assert "is_negated" not in flags["MRI of the neck"]


def test_utilization_review_denial_does_not_negate_the_treatment(nlp: Language) -> None:
    flags = annotate(nlp, "The utilization review denied the request for acupuncture.", "acupuncture")
    assert flags["acupuncture"] == set()


# --- pseudo-triggers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("There was no change in the lumbar pain since June.", "lumbar pain"),
        ("The x-ray shows no increase in the joint effusion.", "joint effusion"),
        ("She has not only neck pain but headaches as well.", "neck pain"),
        ("Cultures grew gram negative rods.", "rods"),
        ("An MRI without contrast showed a partial tendon tear.", "partial tendon tear"),
        ("The patient did not respond to the epidural injection.", "epidural injection"),
    ],
)
def test_pseudo_triggers(nlp: Language, text: str, phrase: str) -> None:
    assert "is_negated" not in annotate(nlp, text, phrase)[phrase]


# --- terminators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "negated", "affirmed"),
    [
        ("No fever but she reports persistent cough.", "fever", "persistent cough"),
        ("There is no rash; however, the knee effusion persists.", "rash", "knee effusion"),
        ("No bruising aside from a small abrasion on the shin.", "bruising", "small abrasion"),
        ("There is no edema; calf tenderness is present.", "edema", "calf tenderness"),
        ("The scan showed no fracture, which leaves the ankle sprain as the cause.", "fracture", "ankle sprain"),
        (
            "There is no discussion of the rationale for the additional chiropractic visits.",
            "rationale",
            "chiropractic visits",
        ),
    ],
)
def test_terminators_end_the_scope(nlp: Language, text: str, negated: str, affirmed: str) -> None:
    flags = annotate(nlp, text, negated, affirmed)
    assert "is_negated" in flags[negated]
    assert "is_negated" not in flags[affirmed]


def test_closing_bracket_ends_a_scope_opened_inside_it(nlp: Language) -> None:
    text = "Therapy to date included massage (without relief of symptoms) and home exercises."
    flags = annotate(nlp, text, "relief of symptoms", "home exercises")
    assert "is_negated" in flags["relief of symptoms"]
    assert "is_negated" not in flags["home exercises"]


def test_scope_stops_at_the_sentence_end(nlp: Language) -> None:
    flags = annotate(nlp, "He has no fever. Cough is present on most days.", "fever", "Cough")
    assert "is_negated" in flags["fever"]
    assert flags["Cough"] == set()


def test_scope_uses_doc_sentences_when_set(nlp: Language) -> None:
    doc = entity_doc(nlp, "She denies headaches. Neck stiffness is reported.", "headaches", "Neck stiffness")
    set_sentences(doc)
    nlp.get_pipe("context")(doc)
    assert [ent._.is_negated for ent in doc.ents] == [True, False]


def test_max_scope_counts_words_not_line_breaks(nlp: Language) -> None:
    rows = [{"literal": "denies", "category": "NEGATED_EXISTENCE", "direction": "FORWARD", "max_scope": 3}]
    context = IMRContext(nlp, "context", max_scope=10, skip_labels=[])
    context.initialize(rules=rows)
    near = entity_doc(nlp, "He denies \n\n any \n  knee pain.", "knee pain")
    far = entity_doc(nlp, "He denies any history of knee pain.", "knee pain")
    assert context(near).ents[0]._.is_negated
    assert not context(far).ents[0]._.is_negated


# --- temporality, experiencer, certainty -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase", "flag"),
    [
        ("History of left rotator cuff repair.", "left rotator cuff repair", "is_historical"),
        ("She is status post lumbar laminectomy.", "lumbar laminectomy", "is_historical"),
        ("The knee was injected three years ago.", "knee", "is_historical"),
        ("He has already had eight sessions of acupuncture.", "acupuncture", "is_historical"),
        ("If the swelling worsens, she should return to the clinic.", "swelling", "is_hypothetical"),
        ("A short trial of massage therapy may be reasonable.", "massage therapy", "is_hypothetical"),
        ("Tramadol is prescribed as needed for severe pain.", "severe pain", "is_hypothetical"),
        ("His brother has ankylosing spondylitis.", "ankylosing spondylitis", "is_family"),
        ("Family history of rheumatoid arthritis.", "rheumatoid arthritis", "is_family"),
        ("Findings suggest a possible labral tear.", "labral tear", "is_uncertain"),
        ("The films are suspicious for a stress fracture.", "stress fracture", "is_uncertain"),
        ("A small disc herniation cannot be excluded.", "disc herniation", "is_uncertain"),
    ],
)
def test_trigger_classes(nlp: Language, text: str, phrase: str, flag: str) -> None:
    assert flag in annotate(nlp, text, phrase)[phrase]


def test_history_ends_where_the_current_complaint_starts(nlp: Language) -> None:
    text = "A woman with a history of asthma and gout who presents with acute wrist pain."
    flags = annotate(nlp, text, "asthma", "gout", "acute wrist pain")
    assert "is_historical" in flags["asthma"] and "is_historical" in flags["gout"]
    assert "is_historical" not in flags["acute wrist pain"]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("He sprained the ankle two days ago.", "ankle"),
        ("She reports a three week history of wrist pain.", "wrist pain"),
        ("Prior to the injury she worked full duty without back pain.", "back pain"),
    ],
)
def test_recent_events_are_not_historical(nlp: Language, text: str, phrase: str) -> None:
    assert "is_historical" not in annotate(nlp, text, phrase)[phrase]


def test_inline_header_reaches_across_sentences_to_the_next_header(nlp: Language) -> None:
    text = "PAST MEDICAL HISTORY: Hypertension. Type 2 diabetes. REVIEW OF SYSTEMS: Cough."
    flags = annotate(nlp, text, "Hypertension", "Type 2 diabetes", "Cough")
    assert "is_historical" in flags["Hypertension"] and "is_historical" in flags["Type 2 diabetes"]
    assert "is_historical" not in flags["Cough"]


def test_section_spans_carry_their_category(nlp: Language) -> None:
    text = "FAMILY HISTORY\nMother with lupus.\nSURGICAL HISTORY\nCarpal tunnel release.\nEXAM\nTenderness."
    doc = entity_doc(nlp, text, "lupus", "Carpal tunnel release", "Tenderness")
    family, surgical, exam = (text.index(t) for t in ("FAMILY", "SURGICAL", "EXAM"))
    doc.spans["sections"] = [
        doc.char_span(family, surgical, label="FAMILY HISTORY", kb_id="family", alignment_mode="expand"),
        doc.char_span(surgical, exam, label="SURGICAL HISTORY", alignment_mode="expand"),
        doc.char_span(exam, len(text), label="EXAM", alignment_mode="expand"),
    ]
    nlp.get_pipe("context")(doc)
    lupus, release, tenderness = doc.ents
    assert lupus._.is_family and release._.is_historical
    assert not tenderness._.is_historical and not tenderness._.is_family
    cue = next(c for c in release._.context_cues if c["direction"] == "SECTION")
    assert cue == {
        "trigger": "SURGICAL HISTORY",
        "category": "HISTORICAL",
        "direction": "SECTION",
        "start": doc.spans["sections"][1].start,
        "end": doc.spans["sections"][1].end,
    }


def test_guideline_statements_are_generic(nlp: Language) -> None:
    text = "The MTUS guidelines recommend aquatic therapy for obesity; in this case, the claimant has knee arthritis."
    doc = nlp.make_doc(text)
    spans = [
        ("MTUS guidelines", "GUIDELINE_CITE"),
        ("aquatic therapy", "TREATMENT"),
        ("obesity", "DIAGNOSIS"),
        ("knee arthritis", "DIAGNOSIS"),
    ]
    doc.ents = [doc.char_span(text.index(p), text.index(p) + len(p), label=label) for p, label in spans]
    nlp.get_pipe("context")(doc)
    cite, therapy, obesity, arthritis = doc.ents
    assert therapy._.is_hypothetical and obesity._.is_hypothetical
    assert {c["category"] for c in obesity._.context_cues} == {"GENERIC"}
    assert not arthritis._.is_hypothetical
    assert cite._.context_cues is None  # GUIDELINE_CITE is not a ConText target


# --- mechanics ---------------------------------------------------------------------------------


def test_cues_are_plain_serializable_dicts_with_token_offsets(nlp: Language) -> None:
    text = "The report contains no\ndocumentation of\n\nfunctional improvement."
    doc = entity_doc(nlp, text, "functional improvement", label="EVIDENCE")
    nlp.get_pipe("context")(doc)
    (cue,) = doc.ents[0]._.context_cues
    assert json.loads(json.dumps(cue)) == cue
    assert (cue["category"], cue["direction"]) == ("NEGATED_EXISTENCE", "FORWARD")
    assert doc[cue["start"] : cue["end"]].text == cue["trigger"]
    assert cue["trigger"].split() == ["no", "documentation", "of"]


def test_cue_opening_the_entity_modifies_it(nlp: Language) -> None:
    phrase = "Status post ACL reconstruction"
    assert "is_historical" in annotate(nlp, f"{phrase}.", phrase)[phrase]


def test_skipped_labels_keep_their_defaults(nlp: Language) -> None:
    text = "No visit was recorded on 03/04/2015."
    doc = entity_doc(nlp, text, "03/04/2015", label="DATE")
    nlp.get_pipe("context")(doc)
    assert not doc.ents[0]._.is_negated and doc.ents[0]._.context_cues is None


def test_flags_are_reset_when_run_again(nlp: Language) -> None:
    doc = entity_doc(nlp, "There is no effusion.", "effusion")
    doc.ents[0]._.is_historical = True
    nlp.get_pipe("context")(doc)
    assert doc.ents[0]._.is_negated and not doc.ents[0]._.is_historical


def test_serialization_round_trip(nlp: Language, tmp_path) -> None:
    context = nlp.get_pipe("context")
    context.to_disk(tmp_path / "context")
    loaded = IMRContext(nlp, "context", max_scope=context.max_scope, skip_labels=list(context.skip_labels))
    loaded.from_disk(tmp_path / "context")
    assert loaded.rows == context.rows
    again = IMRContext(nlp, "context", max_scope=context.max_scope, skip_labels=[]).from_bytes(context.to_bytes())
    text = "The records include no documentation of prior therapy."
    for component in (loaded, again):
        doc = component(entity_doc(nlp, text, "prior therapy"))
        assert doc.ents[0]._.is_negated


def test_rules_are_loaded_from_the_pattern_folder(nlp: Language) -> None:
    rows = [row for path in sorted((ROOT / "patterns" / "context").glob("*.jsonl")) for row in srsly.read_jsonl(path)]
    assert nlp.get_pipe("context").rows == rows


def test_unknown_category_is_rejected_without_document_text(nlp: Language) -> None:
    context = IMRContext(nlp, "context", max_scope=10, skip_labels=[])
    with pytest.raises(RuleError, match="unknown category 'SOMEDAY'"):
        context.initialize(rules=[{"literal": "later", "category": "SOMEDAY", "direction": "FORWARD"}])


def test_seed_letter_gold_flags(nlp: Language, seed_text: str) -> None:
    """Every gold is_negated / is_historical / is_hypothetical of the seed, gold spans preset."""
    gold = json.loads((SHARED / "gold" / "seed.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert gold["text"] == seed_text
    for presplit in (False, True):
        doc = nlp.make_doc(seed_text)
        if presplit:
            doc = nlp.get_pipe("sections")(nlp.get_pipe("sentencizer")(doc))
        doc.ents = [Span(doc, *_tokens(doc, s), label=s["label"]) for s in gold["spans"]]
        nlp.get_pipe("context")(doc)
        checked = 0
        for span, ent in zip(gold["spans"], doc.ents, strict=True):
            for name in ("is_negated", "is_historical", "is_hypothetical"):
                if name in span["attrs"]:
                    assert getattr(ent._, name) == span["attrs"][name], (name, span["start"])
                    checked += 1
        assert checked == 23


def _tokens(doc: Doc, span: dict) -> tuple[int, int]:
    char_span = doc.char_span(span["start"], span["end"], alignment_mode="expand")
    return char_span.start, char_span.end
