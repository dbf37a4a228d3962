"""Round trips keep every annotation: ``to_disk``/``spacy.load``, ``Doc.to_bytes``, ``DocBin``, pickle, ``n_process=2``.

Each Doc is compared through :func:`canonical_json`, a plain representation of everything the pipeline
stores (entities with all contract attributes, span groups, sections, decision and relation records
and the Span views of them, case facts, and every custom value in ``user_data``). Failures name letters
by index only: the canonical form holds document facts (PHI). PYTEST_DONT_REWRITE, for the same reason.
"""

from __future__ import annotations

import json
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import spacy
from conftest import LETTERS
from imr_spacy.extensions import SPAN_ATTRS
from imr_spacy.pdf_reader import read_pdf
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab
from test_properties import safe_call


class Opaque(list):
    """A list whose repr hides its items, so pytest tracebacks never print document text."""

    def __repr__(self) -> str:
        return f"<{len(self)} items>"


@lru_cache(maxsize=1)
def letter_texts() -> Opaque:
    """The text layers of the real letters (``examples/letters/*.pdf``), in file-name order."""
    texts = Opaque(read_pdf(path) for path in sorted(LETTERS.glob("*.pdf")))
    assert len(texts) >= 72, "the 72 letters are missing"
    return texts


def _offsets(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start_char, span.end_char]


def _plain(value: Any) -> Any:
    """JSON-able form of a stored value (tuples become lists; anything else its repr)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def canonical(doc: Doc) -> dict[str, Any]:
    """Everything the pipeline put on ``doc``, as plain data in a fixed order."""
    attrs = [*SPAN_ATTRS, "section"]
    ents = [[e.start_char, e.end_char, e.label_, {a: _plain(getattr(e._, a)) for a in attrs}] for e in doc.ents]
    decisions = [
        {
            "item": _offsets(d["item"]),
            "treatment": _offsets(d["treatment"]),
            "count": _offsets(d["count"]),
            "outcome": d["outcome"],
            "decision": _offsets(d["decision"]),
            "guidelines": [_offsets(g) for g in d["guidelines"]],
            "rationale": _offsets(d["rationale"]),
        }
        for d in doc._.decisions
    ]
    user_data = sorted(
        ([_plain(k), _plain(v)] for k, v in doc.user_data.items()),
        key=lambda kv: json.dumps(kv[0]),
    )
    return {
        "tokens": [t.idx for t in doc],
        "sents": [s.start for s in doc.sents] if doc.has_annotation("SENT_START") else None,
        "ents": ents,
        "spans": {k: [[s.start_char, s.end_char, s.label_] for s in g] for k, g in sorted(doc.spans.items())},
        "section_bounds": _plain(doc._.section_bounds),
        "decision_records": _plain(doc._.decision_records),
        "relation_records": _plain(doc._.relation_records),
        "decisions": decisions,
        "relations": [[_offsets(h), _offsets(c), label] for h, c, label in doc._.relations],
        "case": _plain(doc._.case),
        "user_data": user_data,
    }


def canonical_json(doc: Doc) -> str:
    """:func:`canonical` as one JSON line (keys in insertion order, so dict order counts)."""
    return json.dumps(canonical(doc), ensure_ascii=False, separators=(",", ":"))


def differing(a: list[str], b: list[str]) -> list[int]:
    """Indices where two lists of canonical JSON differ (and a length mismatch as -1)."""
    bad = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    return bad if len(a) == len(b) else [*bad, -1]


def assert_same(got: list[str], expected: list[str]) -> None:
    """Same canonical JSON for every letter; the message names letter indices only."""
    __tracebackhide__ = True
    bad = differing(got, expected)
    assert not bad, f"annotations differ on letters {bad} (-1: count differs)"


@pytest.fixture(scope="module")
def texts() -> Opaque:
    return letter_texts()


@pytest.fixture(scope="module")
def docs(nlp: Language, texts: Opaque) -> Opaque:
    return Opaque(safe_call(lambda: list(nlp.pipe(texts))))


@pytest.fixture(scope="module")
def expected(docs: Opaque) -> Opaque:
    return Opaque(canonical_json(d) for d in docs)


def test_letters_are_annotated(docs: Opaque) -> None:
    """The round trips below compare something: the letters carry entities and sections."""
    assert sum(len(d.ents) for d in docs) > 0, "no entities on the letters"
    assert sum(len(d._.section_bounds or []) for d in docs) > 0, "no sections on the letters"


def test_to_disk_and_load(nlp: Language, texts: Opaque, expected: Opaque, tmp_path: Path) -> None:
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.pipe_names == nlp.pipe_names, "pipes differ after spacy.load"
    got = safe_call(lambda: [canonical_json(d) for d in loaded.pipe(texts)])
    assert_same(got, expected)


def test_doc_to_bytes(nlp: Language, docs: Opaque, expected: Opaque) -> None:
    got = safe_call(lambda: [canonical_json(Doc(nlp.vocab).from_bytes(d.to_bytes())) for d in docs])
    assert_same(got, expected)


def test_docbin_with_user_data(docs: Opaque, expected: Opaque) -> None:
    def restore() -> list[str]:
        data = DocBin(docs=docs, store_user_data=True).to_bytes()
        return [canonical_json(d) for d in DocBin(store_user_data=True).from_bytes(data).get_docs(Vocab())]

    got = safe_call(restore)
    assert_same(got, expected)


def test_pickle_docs(docs: Opaque, expected: Opaque) -> None:
    # one dumps for all: each pickled Doc carries the whole Vocab, which pickle then stores once
    got = safe_call(lambda: [canonical_json(d) for d in pickle.loads(pickle.dumps(list(docs)))])
    assert_same(got, expected)


def test_pickle_nlp(nlp: Language, texts: Opaque, expected: Opaque) -> None:
    clone = safe_call(lambda: pickle.loads(pickle.dumps(nlp)))
    assert clone.pipe_names == nlp.pipe_names, "pipes differ after pickle"
    got = safe_call(lambda: [canonical_json(d) for d in clone.pipe(texts)])
    assert_same(got, expected)


def test_pickle_pipeline_with_entity_ruler() -> None:
    """Regression: unpickling a pipeline rebuilt the ruler's matchers while ``nlp`` itself was only half
    restored (the ruler refers back to it), raising AttributeError."""
    nlp = spacy.blank("en")
    nlp.add_pipe("imr_entity_ruler").add_patterns([{"label": "DIAGNOSIS", "pattern": "neck pain"}])
    clone = pickle.loads(pickle.dumps(nlp))
    found = [(e.start_char, e.end_char, e.label_) for e in clone("mild neck pain").ents]
    assert found == [(5, 14, "DIAGNOSIS")], "the pickled pipeline lost its patterns"


def test_pickled_entity_ruler_keeps_greedy_longest() -> None:
    """Regression: spaCy's ``Matcher`` drops ``greedy="LONGEST"`` when pickled, so a pickled ruler (as
    ``n_process`` with the spawn start method ships it) saw extra, shorter candidates and broke ties
    between labels differently."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("imr_entity_ruler")
    ruler.add_patterns(
        [
            {"label": "FINDING", "pattern": [{"LOWER": "mild"}, {"LOWER": "weakness", "OP": "+"}]},
            {"label": "EVIDENCE", "pattern": [{"LOWER": "mild", "OP": "?"}, {"LOWER": "weakness", "OP": "+"}]},
        ]
    )
    doc = nlp.make_doc("mild weakness weakness noted")
    clone = pickle.loads(pickle.dumps(ruler))
    assert sorted(clone.candidates(doc)) == sorted(ruler.candidates(doc)), "pickled ruler finds other candidates"


def test_n_process_2_equals_1(nlp: Language, texts: Opaque, expected: Opaque) -> None:
    got = safe_call(lambda: [canonical_json(d) for d in nlp.pipe(texts, n_process=2, batch_size=8)])
    assert_same(got, expected)


def test_pipe_equals_call(nlp: Language, texts: Opaque, expected: Opaque) -> None:
    got = safe_call(lambda: [canonical_json(nlp(t)) for t in texts])
    assert_same(got, expected)


def test_msgpack_codecs_are_looked_up_once_and_still_work() -> None:
    import imr_spacy  # noqa: F401  (freezes the registries)
    import numpy as np
    import srsly
    from srsly import msgpack

    assert not msgpack.msgpack_encoders.entry_points and not msgpack.msgpack_decoders.entry_points
    assert "numpy" in msgpack.msgpack_decoders.get_all()
    arr = np.arange(6, dtype="int32").reshape(2, 3)
    assert (srsly.msgpack_loads(srsly.msgpack_dumps({"a": arr}))["a"] == arr).all()


def test_msgpack_codec_registered_after_the_freeze_is_used() -> None:
    import catalogue
    import imr_spacy  # noqa: F401  (freezes the registries)
    import srsly
    from srsly import msgpack

    seen: list[object] = []

    def spy(obj: object, chain: Any = None) -> object:
        seen.append(obj)
        return obj if chain is None else chain(obj)

    msgpack.msgpack_decoders.register("imr_test_spy", func=spy)
    try:
        assert srsly.msgpack_loads(srsly.msgpack_dumps({"a": 1})) == {"a": 1}
        assert seen == [{"a": 1}]
        msgpack.msgpack_decoders.register("imr_test_spy", func=lambda obj, chain=None: {"b": 2})
        assert srsly.msgpack_loads(srsly.msgpack_dumps({"a": 1})) == {"b": 2}  # re-registration seen
    finally:
        del catalogue.REGISTRY[(*msgpack.msgpack_decoders.namespace, "imr_test_spy")]
    assert "imr_test_spy" not in msgpack.msgpack_decoders.get_all()
    assert srsly.msgpack_loads(srsly.msgpack_dumps({"a": 1})) == {"a": 1}
