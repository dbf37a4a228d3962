"""The merge of trained-NER spans into the rule entities (imr_model_stash / imr_model_merge)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import spacy
from imr_spacy.exports.tokens import imr_tokenizer_nlp
from imr_spacy.model_merge import POLICIES, ModelMerge, ModelStash, merge_spans
from spacy.language import Language
from spacy.tokens import Doc, Span

TEXT = "Request for physical therapy x 12 for chronic low back pain dated 02/23/2009 is not medically necessary."


@pytest.fixture(scope="module")
def blank() -> Language:
    return imr_tokenizer_nlp()


def span(doc: Doc, phrase: str, label: str) -> Span:
    start = doc.text.index(phrase)
    s = doc.char_span(start, start + len(phrase), label=label)
    assert s is not None, phrase
    return s


def texts(spans: list[Span]) -> list[tuple[str, str]]:
    return [(s.text, s.label_) for s in spans]


def test_structured_rule_entities_always_win(blank: Language) -> None:
    doc = blank(TEXT)
    rules = [span(doc, "x 12", "VISIT_COUNT"), span(doc, "02/23/2009", "DATE")]
    model = [span(doc, "physical therapy x 12", "TREATMENT"), span(doc, "dated 02/23/2009", "EVIDENCE")]
    for policy in POLICIES:
        assert texts(merge_spans(rules, model, policy, ["TREATMENT", "EVIDENCE"])) == [
            ("x 12", "VISIT_COUNT"),
            ("02/23/2009", "DATE"),
        ]


def test_fill_adds_only_where_rules_found_nothing(blank: Language) -> None:
    doc = blank(TEXT)
    rules = [span(doc, "low back pain", "DIAGNOSIS")]
    model = [span(doc, "physical therapy", "TREATMENT"), span(doc, "chronic low back pain", "DIAGNOSIS")]
    merged = merge_spans(rules, model, "fill", ["TREATMENT", "DIAGNOSIS"])
    assert texts(merged) == [("physical therapy", "TREATMENT"), ("low back pain", "DIAGNOSIS")]


def test_longer_replaces_shorter_open_class_rule_span(blank: Language) -> None:
    doc = blank(TEXT)
    rules = [span(doc, "low back pain", "DIAGNOSIS"), span(doc, "physical therapy", "TREATMENT")]
    model = [span(doc, "chronic low back pain", "DIAGNOSIS"), span(doc, "therapy", "TREATMENT")]
    merged = merge_spans(rules, model, "longer", ["TREATMENT", "DIAGNOSIS"])
    assert texts(merged) == [("physical therapy", "TREATMENT"), ("chronic low back pain", "DIAGNOSIS")]


def test_model_policy_lets_the_model_own_open_labels(blank: Language) -> None:
    doc = blank(TEXT)
    rules = [span(doc, "physical therapy", "TREATMENT"), span(doc, "not medically necessary", "DECISION")]
    model = [span(doc, "therapy", "TREATMENT"), span(doc, "medically", "FINDING")]
    merged = merge_spans(rules, model, "model", ["TREATMENT", "FINDING"])
    assert texts(merged) == [("therapy", "TREATMENT"), ("not medically necessary", "DECISION")]


def test_model_spans_of_other_labels_are_ignored(blank: Language) -> None:
    doc = blank(TEXT)
    model = [span(doc, "02/23/2009", "DATE"), span(doc, "physical therapy", "TREATMENT")]
    assert texts(merge_spans([], model, "fill", ["TREATMENT"])) == [("physical therapy", "TREATMENT")]


def test_unknown_policy_is_rejected() -> None:
    with pytest.raises(ValueError):
        ModelMerge("model", "vote", ["DIAGNOSIS"])


def test_stash_then_merge_in_a_pipeline(blank: Language, tmp_path) -> None:
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "imr_spacy.Tokenizer.v1"}}})

    @Language.component("g1_fake_ner")
    def fake_ner(doc: Doc) -> Doc:
        doc.ents = [span(doc, "chronic low back pain", "DIAGNOSIS"), span(doc, "02/23/2009", "DATE")]
        return doc

    @Language.component("g1_fake_rules")
    def fake_rules(doc: Doc) -> Doc:
        assert not doc.ents, "the stash clears the model's entities"
        doc.ents = [span(doc, "low back pain", "DIAGNOSIS"), span(doc, "not medically necessary", "DECISION")]
        return doc

    nlp.add_pipe("g1_fake_ner")
    nlp.add_pipe("imr_model_stash")
    nlp.add_pipe("g1_fake_rules")
    nlp.add_pipe("imr_model_merge", config={"policy": "longer"})
    doc = nlp(TEXT)
    assert texts(list(doc.spans["model"])) == [("chronic low back pain", "DIAGNOSIS"), ("02/23/2009", "DATE")]
    assert texts(list(doc.ents)) == [("chronic low back pain", "DIAGNOSIS"), ("not medically necessary", "DECISION")]
    nlp.to_disk(tmp_path / "p")
    again = spacy.load(tmp_path / "p")
    assert again.get_pipe("imr_model_merge").policy == "longer"
    assert texts(list(again(TEXT).ents)) == texts(list(doc.ents))


def test_longer_never_replaces_a_rule_span_of_another_label(blank: Language) -> None:
    doc = blank(TEXT)
    rules = [span(doc, "physical therapy", "TREATMENT")]
    model = [span(doc, "Request for physical therapy", "FINDING")]
    assert texts(merge_spans(rules, model, "longer", ["TREATMENT", "FINDING"])) == [("physical therapy", "TREATMENT")]


def test_label_policies_override_the_default(blank: Language) -> None:
    doc = blank(TEXT)
    rules = [span(doc, "physical therapy", "TREATMENT"), span(doc, "low back pain", "DIAGNOSIS")]
    model = [span(doc, "therapy", "TREATMENT"), span(doc, "chronic low back pain", "DIAGNOSIS")]
    merged = merge_spans(rules, model, "fill", ["TREATMENT", "DIAGNOSIS"], {"TREATMENT": "model"})
    assert texts(merged) == [("therapy", "TREATMENT"), ("low back pain", "DIAGNOSIS")]
    with pytest.raises(ValueError):
        merge_spans(rules, model, "fill", ["TREATMENT"], {"TREATMENT": "vote"})


def test_stash_trims_line_break_tokens(blank: Language) -> None:
    doc = blank("no therapy reports \n\nwere provided")
    doc.ents = [Span(doc, 1, 4, label="EVIDENCE")]  # "therapy reports \n\n"
    stash = ModelStash()
    stash(doc)
    assert [(s.text, s.label_) for s in doc.spans["model"]] == [("therapy reports", "EVIDENCE")]
    assert not doc.ents


def test_pipeline_trained_cfg_is_generated_from_pipeline_cfg() -> None:
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("make_trained_cfg", root / "training" / "make_trained_cfg.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    text = (root / "configs" / "pipeline_trained.cfg").read_text(encoding="utf-8")
    assert text == module.build(), "run training/make_trained_cfg.py after changing configs/pipeline.cfg"
    rules = spacy.util.load_config(root / "configs" / "pipeline.cfg")["nlp"]["pipeline"]
    trained = spacy.util.load_config(root / "configs" / "pipeline_trained.cfg")["nlp"]["pipeline"]
    assert [p for p in trained if p not in module.MODEL_PIPES] == rules
    assert trained.index("model_merge") == trained.index("entity_ruler") + 1
    assert trained.index("model_stash") == trained.index("entity_ruler") - 1


def test_agreement_keeps_only_spans_both_models_predicted(blank: Language) -> None:
    doc = blank(TEXT)
    model = [span(doc, "physical therapy", "TREATMENT"), span(doc, "chronic low back pain", "DIAGNOSIS")]
    other = [span(doc, "physical therapy", "TREATMENT"), span(doc, "low back pain", "DIAGNOSIS")]
    merged = merge_spans([], model, "fill", ["TREATMENT", "DIAGNOSIS"], agree=other)
    assert texts(merged) == [("physical therapy", "TREATMENT")]


def test_model_policy_does_not_cut_a_rule_span_of_another_label(blank: Language) -> None:
    doc = blank(TEXT)
    rules = [span(doc, "chronic low back pain", "FINDING")]
    model = [span(doc, "low back pain dated", "DIAGNOSIS")]
    assert texts(merge_spans(rules, model, "model", ["FINDING", "DIAGNOSIS"])) == [("chronic low back pain", "FINDING")]


def test_stash_decodes_biluo_tags_into_spans_and_clears_them(blank: Language) -> None:
    doc = blank("Request for physical therapy for low back pain and neck pain today")
    tags = ["O", "O", "B-TREATMENT", "L-TREATMENT", "O", "B-DIAGNOSIS", "I-DIAGNOSIS", "L-DIAGNOSIS"]
    tags += ["O", "I-DIAGNOSIS", "L-DIAGNOSIS", "U-DATE"]
    for token, tag in zip(doc, tags, strict=True):
        token.tag_ = tag
    ModelStash(tags_key="model_tags")(doc)
    got = texts(list(doc.spans["model_tags"]))
    assert got == [("physical therapy", "TREATMENT"), ("low back pain", "DIAGNOSIS"), ("today", "DATE")]
    assert {t.tag_ for t in doc} == {""}


def test_agree_scope_replace_lets_unconfirmed_spans_only_fill(blank: Language) -> None:
    doc = blank(TEXT)
    rules = [span(doc, "low back pain", "DIAGNOSIS")]
    model = [span(doc, "physical therapy", "TREATMENT"), span(doc, "chronic low back pain", "DIAGNOSIS")]
    labels = ["TREATMENT", "DIAGNOSIS"]
    assert texts(merge_spans(rules, model, "model", labels, agree=[], agree_scope="replace")) == [
        ("physical therapy", "TREATMENT"),
        ("low back pain", "DIAGNOSIS"),
    ]
    assert texts(merge_spans(rules, model, "model", labels, agree=model[1:], agree_scope="replace")) == [
        ("physical therapy", "TREATMENT"),
        ("chronic low back pain", "DIAGNOSIS"),
    ]
    assert texts(merge_spans(rules, model, "model", labels, agree=[], agree_scope="all")) == [
        ("low back pain", "DIAGNOSIS")
    ]
    with pytest.raises(ValueError):
        merge_spans(rules, model, "model", labels, agree=[], agree_scope="some")


def test_plain_words_are_not_added_alone(blank: Language, tmp_path: Path) -> None:
    doc = blank("An adequate trial of Zorvolex 35mg and other care was provided")
    model = [span(doc, x, "TREATMENT") for x in ("adequate", "Zorvolex 35mg", "other", "adequate trial")]
    labels = ["TREATMENT"]
    assert len(merge_spans([], model, "model", labels)) == 3
    got = merge_spans([], model[:3], "model", labels, plain_words={"adequate"})
    assert texts(got) == [("Zorvolex 35mg", "TREATMENT")]
    rules = [span(doc, "adequate", "TREATMENT")]
    assert texts(merge_spans(rules, model[3:], "model", labels, plain_words={"adequate"})) == [
        ("adequate trial", "TREATMENT")
    ]
    merge = ModelMerge("model", "model", labels)
    merge.initialize(plain_words=["Adequate"])
    merge.to_disk(tmp_path / "merge")
    again = ModelMerge("model", "model", labels).from_disk(tmp_path / "merge")
    assert again.plain_words == frozenset({"adequate"})


def test_confirm_labels_drop_rule_entities_the_model_does_not_support(blank: Language) -> None:
    doc = blank("Pain relief was reported after physical therapy for lumbar radiculopathy and neck pain.")
    rules = [span(doc, "Pain", "DIAGNOSIS"), span(doc, "physical therapy", "TREATMENT")]
    rules += [span(doc, "lumbar radiculopathy", "DIAGNOSIS"), span(doc, "neck pain", "DIAGNOSIS")]
    ner = [span(doc, "radiculopathy", "DIAGNOSIS")]  # overlaps: supports the longer rule span
    tags = [span(doc, "neck", "FINDING")]  # the second opinion supports with any label
    labels = ["DIAGNOSIS", "TREATMENT"]
    got = merge_spans(rules, ner, "fill", labels, agree=tags, agree_scope="replace", confirm_labels={"DIAGNOSIS"})
    assert texts(got) == [
        ("physical therapy", "TREATMENT"),  # not a confirm label: kept without support
        ("lumbar radiculopathy", "DIAGNOSIS"),
        ("neck pain", "DIAGNOSIS"),
    ]
    assert len(merge_spans(rules, ner, "fill", labels)) == 4  # off by default


def test_confirm_labels_apply_when_the_model_found_nothing(blank: Language) -> None:
    doc = blank("Pain was rated 6/10 today.")
    doc.ents = [span(doc, "Pain", "DIAGNOSIS")]
    doc.spans["model"] = []
    ModelMerge("model", "model", ["DIAGNOSIS"], confirm_labels=["DIAGNOSIS"])(doc)
    assert list(doc.ents) == []
    with pytest.raises(ValueError, match="open-class"):
        ModelMerge("model", "model", ["DIAGNOSIS"], confirm_labels=["DATE"])


def test_a_model_diagnosis_of_only_body_sites_is_dropped(blank: Language, tmp_path: Path) -> None:
    doc = blank("Therapy for the neck, right hand and lumbar spine for cervical radiculopathy was denied.")
    model = [span(doc, "neck, right hand", "DIAGNOSIS"), span(doc, "lumbar spine", "DIAGNOSIS")]
    model += [span(doc, "cervical radiculopathy", "DIAGNOSIS"), span(doc, "right hand", "FINDING")]
    labels = ["DIAGNOSIS", "FINDING"]
    sites = {"neck", "right", "hand", "lumbar", "spine", "cervical"}
    got = merge_spans([], model, "model", labels, site_words=sites)
    assert texts(got) == [("right hand", "FINDING"), ("cervical radiculopathy", "DIAGNOSIS")]
    merge = ModelMerge("model", "model", labels)
    merge.initialize(site_words=["Neck", "lumbar spine|low back"])
    assert merge.site_words is not None and {"neck", "lumbar", "spine", "low", "back"} <= merge.site_words
    merge.to_disk(tmp_path / "merge")
    assert ModelMerge("model", "model", labels).from_disk(tmp_path / "merge").site_words == merge.site_words


def test_may_drop_vetoes_the_confirmation_per_entity(blank: Language) -> None:
    doc = blank("Pain was rated 6/10 and lumbar radiculopathy was noted.")
    rules = [span(doc, "Pain", "DIAGNOSIS"), span(doc, "lumbar radiculopathy", "DIAGNOSIS")]
    got = merge_spans(rules, [], "model", ["DIAGNOSIS"], confirm_labels={"DIAGNOSIS"}, may_drop=lambda e: e.start == 0)
    assert texts(got) == [("lumbar radiculopathy", "DIAGNOSIS")]
    assert merge_spans(rules, [], "model", ["DIAGNOSIS"], may_drop=lambda e: True) == rules  # no confirm labels


@pytest.fixture(scope="module")
def tagged() -> Language:
    """A tiny BILUO tagger, trained (seeded) to call "radiculopathy" a diagnosis and everything else O."""
    from spacy.training import Example
    from spacy.util import fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "imr_spacy.Tokenizer.v1"}}})
    nlp.add_pipe("tagger")
    sents = ["Pain was rated 6/10 and radiculopathy was noted .", "The radiculopathy and pain relief were noted ."]
    examples = []
    for text in sents:
        words = text.split()
        tags = ["U-DIAGNOSIS" if w == "radiculopathy" else "O" for w in words]
        examples.append(Example.from_dict(nlp.make_doc(text), {"words": words, "tags": tags}))
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(40):
        nlp.update(examples, sgd=optimizer)
    return nlp


def test_tagger_entity_prob_is_one_minus_p_o(tagged: Language) -> None:
    from imr_spacy.model_merge import EntityProb

    doc = tagged("Pain was rated 6/10 and radiculopathy was noted .")
    prob = EntityProb(tagged.get_pipe("tagger"))(doc)
    assert prob.shape == (len(doc),)
    assert ((prob >= 0) & (prob <= 1)).all()
    assert prob[5] > 0.5 > prob[:5].max()  # "radiculopathy" vs the rest


def test_confirm_tagger_keeps_what_the_tagger_is_unsure_of(tagged: Language) -> None:
    doc = tagged("Pain was rated 6/10 and radiculopathy was noted .")
    doc.ents = [Span(doc, 0, 1, "DIAGNOSIS"), Span(doc, 5, 6, "DIAGNOSIS")]
    doc.spans["model"] = []
    merge = ModelMerge(
        "model",
        "model",
        ["DIAGNOSIS"],
        confirm_labels=["DIAGNOSIS"],
        confirm_tagger="tagger",
        confirm_below=0.2,
        nlp=tagged,
    )
    merge(doc)
    assert [e.text for e in doc.ents] == ["radiculopathy"]  # no model span, but the tagger is not sure it is O
    with pytest.raises(ValueError, match="needs the pipeline"):
        ModelMerge("model", "model", ["DIAGNOSIS"], confirm_labels=["DIAGNOSIS"], confirm_tagger="tagger")
    with pytest.raises(ValueError, match="confirm_below"):
        ModelMerge("model", "model", ["DIAGNOSIS"], confirm_below=0.0)


def test_confirm_tagger_is_set_from_the_config(tagged: Language) -> None:
    merge = tagged.add_pipe(
        "imr_model_merge",
        config={"confirm_labels": ["DIAGNOSIS"], "confirm_tagger": "tagger", "confirm_below": 0.01},
        name="merge_probe",
    )
    try:
        assert (merge.confirm_tagger, merge.confirm_below, merge.nlp) == ("tagger", 0.01, tagged)
    finally:
        tagged.remove_pipe("merge_probe")


def test_the_ruler_keeps_its_winning_blockers_when_asked() -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("imr_entity_ruler", config={"blocks_key": "rule_blocks"})
    ruler.add_patterns(
        [
            {"label": "DIAGNOSIS", "pattern": "trauma"},
            {"label": "DIAGNOSIS", "pattern": "neck pain"},
            {"label": "_BLOCK", "pattern": "cumulative trauma"},
        ]
    )
    doc = nlp("He reports cumulative trauma and neck pain.")
    assert [(e.text, e.label_) for e in doc.ents] == [("neck pain", "DIAGNOSIS")]
    assert [(s.text, s.label_) for s in doc.spans["rule_blocks"]] == [("cumulative trauma", "_BLOCK")]
    plain = spacy.blank("en")
    plain.add_pipe("imr_entity_ruler").add_patterns([{"label": "_BLOCK", "pattern": "cumulative trauma"}])
    assert "rule_blocks" not in plain("cumulative trauma").spans  # off by default


def test_a_model_diagnosis_overlapping_a_rule_blocker_is_dropped(blank: Language) -> None:
    doc = blank("He reports cumulative trauma resulting in neck pain and pain relief with physical therapy.")
    rules = [span(doc, "neck pain", "DIAGNOSIS")]
    model = [span(doc, "trauma resulting in neck pain", "DIAGNOSIS"), span(doc, "pain relief", "DIAGNOSIS")]
    model += [span(doc, "pain relief with physical therapy", "TREATMENT")]
    blocks = [span(doc, "cumulative trauma", "_BLOCK"), span(doc, "pain relief", "_BLOCK")]
    labels = ["DIAGNOSIS", "TREATMENT"]
    got = merge_spans(rules, model, "model", labels, blocks=blocks)
    assert texts(got) == [("neck pain", "DIAGNOSIS"), ("pain relief with physical therapy", "TREATMENT")]
    assert texts(merge_spans(rules, model[:1], "model", labels)) == [("trauma resulting in neck pain", "DIAGNOSIS")]
    doc.ents = rules
    doc.spans["model"] = model[:1]
    doc.spans["rule_blocks"] = blocks
    ModelMerge("model", "model", labels, blocks_key="rule_blocks")(doc)
    assert texts(list(doc.ents)) == [("neck pain", "DIAGNOSIS")]
