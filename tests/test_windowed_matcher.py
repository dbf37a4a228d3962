"""The windowed matcher returns exactly what spaCy's Matcher returns, only faster."""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from imr_spacy.windowed_matcher import Unsupported, WindowedMatcher, analyse
from spacy.matcher import Matcher
from spacy.tokens import Doc

VOCAB_WORDS = ["left", "right", "knee", "pain", "of", "the", "x", "12", "3", "/", "4", "PT", "MRI", "."]
NLP = spacy.blank("en")


def both(
    patterns: dict[str, list[list[dict[str, Any]]]], greedy: str | None = "LONGEST"
) -> tuple[Matcher, WindowedMatcher]:
    plain, windowed = Matcher(NLP.vocab), WindowedMatcher(NLP.vocab)
    for key, pats in patterns.items():
        plain.add(key, pats, greedy=greedy)
        windowed.add(key, pats, greedy=greedy)
    return plain, windowed


def doc_of(words: list[str]) -> Doc:
    return Doc(NLP.vocab, words=words)


def test_same_matches_as_spacy_on_a_clinical_phrase() -> None:
    patterns = {
        "DX": [
            [{"LOWER": {"IN": ["left", "right"]}}, {"LOWER": {"IN": ["knee", "hip"]}, "OP": "{0,3}"}, {"LOWER": "pain"}]
        ],
        "VC": [[{"LOWER": "x"}, {"TEXT": {"REGEX": r"^\d+$"}}], [{"TEXT": {"REGEX": r"^\d+$"}}, {"LOWER": "visits"}]],
        "RG": [[{"TEXT": {"REGEX": "^[0-4]$"}}, {"ORTH": "/"}, {"ORTH": "4"}]],
    }
    plain, windowed = both(patterns)
    doc = doc_of(
        [
            "right",
            "knee",
            "pain",
            ",",
            "PT",
            "x",
            "12",
            "and",
            "8",
            "visits",
            ";",
            "reflexes",
            "2",
            "/",
            "4",
            "at",
            "the",
            "left",
            "knee",
        ]
    )
    assert sorted(windowed(doc)) == sorted(plain(doc))
    labels = {NLP.vocab.strings[m] for m, _, _ in windowed(doc)}
    assert labels == {"DX", "VC", "RG"}


def test_match_at_the_very_start_and_end_of_the_doc() -> None:
    plain, windowed = both({"P": [[{"LOWER": "pain"}, {"LOWER": "score"}]]})
    doc = doc_of(["pain", "score", "is", "high", ",", "pain", "score"])
    assert sorted(windowed(doc)) == sorted(plain(doc))
    assert [(s, e) for _, s, e in sorted(windowed(doc), key=lambda m: m[1])] == [(0, 2), (5, 7)]


def test_one_token_matches_are_decided_without_the_matcher() -> None:
    plain, windowed = both({"DRUG": [[{"LOWER": {"IN": ["baclofen", "tramadol"]}}, {"LOWER": "er", "OP": "?"}]]})
    doc = doc_of(["Baclofen", "and", "tramadol", "ER", ",", "tramadol"])
    assert sorted(windowed(doc)) == sorted(plain(doc))
    assert len(windowed(doc)) == 3


def test_unbounded_operators_stop_at_the_first_token_no_spec_accepts() -> None:
    patterns = {
        "CITE": [[{"LOWER": "mtus"}, {"LOWER": {"IN": ["chronic", "pain", "guidelines", "page", "99"]}, "OP": "*"}]]
    }
    plain, windowed = both(patterns)
    doc = doc_of(["per", "MTUS", "chronic", "pain", "guidelines", "page", "99", ",", "which"])
    assert sorted(windowed(doc)) == sorted(plain(doc)) == [(NLP.vocab.strings["CITE"], 1, 7)]


def test_non_greedy_keys_keep_every_overlapping_match() -> None:
    plain, windowed = both({"M": [[{"LOWER": "left"}, {"LOWER": "knee", "OP": "?"}]]}, greedy=None)
    doc = doc_of(["left", "knee", "left"])
    assert sorted(windowed(doc)) == sorted(plain(doc))
    assert len(plain(doc)) == 3


@pytest.mark.parametrize(
    "pattern",
    [
        [{"POS": "NOUN"}],  # an attribute the gate does not evaluate
        [{"LOWER": "no"}, {"LOWER": "pain", "OP": "!"}],  # negated token
        [{"LOWER": "maybe", "OP": "?"}],  # every token optional
        [{"_": {"flag": True}}],  # an extension
        [{"NORM": "knee"}],  # a token may override its norm: not a lexeme property
        [{"LOWER": {"IN": [12345]}}],  # hashes, not strings
    ],
)
def test_unsupported_patterns_fall_back_to_the_whole_doc(pattern: list[dict[str, Any]]) -> None:
    with pytest.raises(Unsupported):
        analyse([pattern])
    windowed = WindowedMatcher(NLP.vocab)
    windowed.add("K", [[{"LOWER": "no"}, {"LOWER": "pain", "OP": "!"}]])
    plain = Matcher(NLP.vocab)
    plain.add("K", [[{"LOWER": "no"}, {"LOWER": "pain", "OP": "!"}]])
    doc = doc_of(["no", "pain", "and", "no", "swelling"])
    assert windowed(doc) == plain(doc) and len(windowed(doc)) == 1


def test_analyse_reports_starts_anchors_and_lengths() -> None:
    shape = analyse([[{"LOWER": "a", "OP": "?"}, {"LOWER": "b"}, {"LOWER": "c", "OP": "{0,2}"}, {"LOWER": "d"}]])
    assert [s["LOWER"] for s in shape.starts] == ["a", "b"]
    assert [s["LOWER"] for s in shape.anchors] == ["d"]
    assert (shape.shortest, shape.longest) == (2, 5)
    assert shape.solo == []


def test_lexeme_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import imr_spacy.windowed_matcher as wm

    monkeypatch.setattr(wm, "MAX_CACHED_LEXEMES", 5)
    plain, windowed = both({"P": [[{"LOWER": "pain"}, {"LOWER": "score"}]]})
    doc = doc_of([f"w{i}" for i in range(20)] + ["pain", "score"])
    assert windowed(doc) == plain(doc)
    assert windowed(doc) == plain(doc)  # the full cache is dropped between documents, not within one
    assert len(windowed._rows) <= 5 + len(set(doc.to_array("ORTH").tolist()))


LOWERS = [w.lower() for w in VOCAB_WORDS]
TOKEN_SPEC = st.one_of(
    st.builds(lambda w: {"LOWER": w}, st.sampled_from(LOWERS)),
    st.builds(
        lambda ws: {"LOWER": {"IN": ws}},
        st.lists(st.sampled_from(LOWERS), min_size=1, max_size=4),
    ),
    st.builds(
        lambda ws: {"LOWER": {"NOT_IN": ws}},
        st.lists(st.sampled_from(LOWERS), min_size=1, max_size=8),
    ),
    st.just({"TEXT": {"REGEX": r"^\d+$"}}),
    st.just({"ORTH": "/"}),
)
TOKEN = st.builds(
    lambda spec, op: {**spec, **({"OP": op} if op else {})},
    TOKEN_SPEC,
    st.sampled_from([None, None, "?", "*", "+", "{0,2}", "{1,3}", "{2}"]),
)
PATTERN = st.lists(TOKEN, min_size=1, max_size=4).filter(
    lambda p: any(t.get("OP") in (None, "+", "{1,3}", "{2}") for t in p)
)


@settings(max_examples=150, deadline=None)
@given(
    patterns=st.dictionaries(st.sampled_from(["A", "B", "C"]), st.lists(PATTERN, min_size=1, max_size=3), min_size=1),
    words=st.lists(st.sampled_from(VOCAB_WORDS), min_size=1, max_size=40),
    greedy=st.sampled_from([None, "LONGEST", "FIRST"]),
)
def test_property_same_matches_as_spacy(patterns: dict[str, list], words: list[str], greedy: str | None) -> None:
    plain, windowed = both(patterns, greedy=greedy)
    doc = doc_of(words)
    assert sorted(windowed(doc)) == sorted(plain(doc))
