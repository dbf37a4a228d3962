"""Combining the trained NER with the rule entities.

Two small components, placed around the entity ruler::

    ... tok2vec -> ner -> tagger -> model_stash -> entity_ruler -> model_merge -> normalizer ...

- ``imr_model_stash`` moves the trained ``ner``'s entities to ``doc.spans["model"]`` and clears
  ``doc.ents`` (the ruler then writes its own entities). With ``tags_key`` it also decodes the BILUO
  tags that the trained ``tagger`` (a softmax over the same tok2vec) wrote to ``token.tag_`` into
  ``doc.spans[tags_key]``, and clears the tags.
- ``imr_model_merge`` merges ``doc.spans["model"]`` into the rule entities by a conflict policy.
  Rules always own the structured labels (DATE, VISIT_COUNT, REFLEX_GRADE, GUIDELINE_CITE, DECISION):
  a model span that overlaps a rule entity of a structured label is dropped. For the open-class
  labels (``open_labels``) the policies are:

  ``fill``    model spans are added only where they overlap no rule entity;
  ``longer``  as ``fill``, and a model span also replaces the rule entities of its own label that it
              overlaps when it is longer than each of them (rules keep the rest);
  ``model``   the model owns the open-class labels: open-class rule entities that overlap a model
              span give way to it (rule entities the model has nothing for stay).

``label_policies`` overrides the policy per label (e.g. ``{"EVIDENCE": "model"}``). Model spans are
trimmed of leading/trailing whitespace tokens (PDF line breaks) before merging. With ``agree_key`` set
(the tagger's spans), a model span counts only when the second opinion holds the same span with the same
label: a cheap confidence (the tagger costs about 1 us/word) that removes most of the NER's one-off
errors. ``agree_scope="all"`` drops unconfirmed spans; ``"replace"`` still lets them fill gaps where
no rule entity is. With ``plain_words`` (set by ``initialize``: the general English words that
training/convert.py swaps into the letters as non-entities), a lone stop word or plain word is never
added as an entity where the rules have none. In every policy a model span replaces only rule entities
of its own label or ones it contains.

With ``site_words`` (set by ``initialize`` from ``patterns/vocab/sites.txt``), a model DIAGNOSIS made
only of body-site words, stop words and punctuation ("right shoulder", "neck, mid back") is dropped: a
diagnosis names a condition, and the ICD-10-CM wordings the model is trained with are full of sites.

With ``blocks_key`` (the entity ruler's ``blocks_key``: the blocker phrases that won, such as "cumulative
trauma" or "pain relief"), a model DIAGNOSIS that overlaps a blocker is dropped: the blockers exist to say
that a phrase is not a diagnosis, whoever proposes it.

``confirm_labels``: open-class labels whose rule entities need the model's support to stay: a rule
entity of such a label that no model span overlaps (the NER's, or the second opinion's, of any label)
is dropped. The rules' head-word patterns ("... pain", "... lesion") over-generate where the
letters use those words in passing; the model, which reads the context, then says nothing there.
With ``confirm_tagger`` (the name of the trained tagger), saying nothing is not enough: such an entity
is dropped only when the tagger is sure, i.e. gives every one of its tokens an entity probability
(1 - P(O)) below ``confirm_below``. Its probabilities are computed (one softmax over ``doc.tensor``)
only for Docs that have an unsupported rule entity of a confirm label.

The merged entities keep the project's contract: non-overlapping ``doc.ents`` with plain-data state,
so normalizer, context and decisions run on them unchanged. The default policy is the one measured
best on the dev split (training/README.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

import numpy
import srsly
from spacy.attrs import TAG
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import registry

MODEL_KEY = "model"
OPEN_LABELS: tuple[str, ...] = ("DIAGNOSIS", "TREATMENT", "FINDING", "EVIDENCE")
POLICIES = ("fill", "longer", "model")
AGREE_SCOPES = ("all", "replace")
PLAIN_WORDS_FILE = "plain_words.json"
SITE_WORDS_FILE = "site_words.json"
#: The labels whose model spans must name more than body sites.
SITE_GUARDED = frozenset({"DIAGNOSIS"})
#: The labels whose model spans may not overlap a rule blocker.
BLOCK_GUARDED = frozenset({"DIAGNOSIS"})


class ModelStash:
    """Moves ``doc.ents`` (the trained NER's output) to ``doc.spans[spans_key]``.

    With ``tags_key``, the BILUO tags a tagger wrote to ``token.tag_`` are decoded into spans under
    ``doc.spans[tags_key]`` (the second opinion the merge checks the NER against) and cleared.
    """

    def __init__(self, spans_key: str = MODEL_KEY, tags_key: str | None = None) -> None:
        self.spans_key = spans_key
        self.tags_key = tags_key
        self._tag_cache: dict[int, tuple[str, str] | None] = {}

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[self.spans_key] = [s for s in (trim(e) for e in doc.ents) if s is not None]
        doc.ents = []
        if self.tags_key is not None:
            doc.spans[self.tags_key] = self.tag_spans(doc)
        return doc

    def _tag(self, doc: Doc, tag_id: int) -> tuple[str, str] | None:
        """("B", "DIAGNOSIS") for the id of "B-DIAGNOSIS"; None for "O" and other tags."""
        if tag_id not in self._tag_cache:
            move, _, label = doc.vocab.strings[tag_id].partition("-")
            self._tag_cache[tag_id] = (move, label) if move in ("B", "I", "L", "U") and label else None
        return self._tag_cache[tag_id]

    def tag_spans(self, doc: Doc) -> list[Span]:
        """The spans of well-formed BILUO tag runs in ``token.tag_``; the tags are cleared afterwards."""
        tags = doc.to_array(TAG)
        spans: list[Span] = []
        start, label, prev = -1, "", -2
        for i in numpy.flatnonzero(tags != self.o_id(doc)).tolist():
            tag = self._tag(doc, int(tags[i]))
            if tag is None:
                start = -1
            elif tag[0] == "U":
                spans.append(Span(doc, i, i + 1, label=tag[1]))
                start = -1
            elif tag[0] == "B":
                start, label = i, tag[1]
            elif start < 0 or tag[1] != label or i != prev + 1:
                start = -1
            elif tag[0] == "L":
                spans.append(Span(doc, start, i + 1, label=label))
                start = -1
            prev = i
        doc.from_array([TAG], numpy.zeros((len(doc), 1), dtype=tags.dtype))
        return spans

    @staticmethod
    def o_id(doc: Doc) -> int:
        return doc.vocab.strings.add("O")


def trim(span: Span) -> Span | None:
    """The span without leading/trailing whitespace tokens (None if nothing is left)."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    if start == end:
        return None
    return span if (start, end) == (span.start, span.end) else Span(doc, start, end, label=span.label)


def only_sites(span: Span, site_words: Collection[str]) -> bool:
    """True when every word of ``span`` is a body-site word or a stop word (punctuation aside)."""
    words = [t for t in span if t.is_alpha]
    return bool(words) and all(t.lower_ in site_words or t.is_stop for t in words)


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def check_policies(policy: str, label_policies: dict[str, str], agree_scope: str) -> None:
    """Raise ValueError for an unknown policy (default or per label) or agree scope."""
    for p in (policy, *label_policies.values()):
        if p not in POLICIES:
            raise ValueError(f"unknown merge policy {p!r}; expected one of {POLICIES}")
    if agree_scope not in AGREE_SCOPES:
        raise ValueError(f"unknown agree_scope {agree_scope!r}; expected one of {AGREE_SCOPES}")


def merge_spans(
    rule_ents: Iterable[Span],
    model_spans: Iterable[Span],
    policy: str,
    open_labels: Iterable[str],
    label_policies: dict[str, str] | None = None,
    agree: Iterable[Span] | None = None,
    agree_scope: str = "all",
    plain_words: Collection[str] | None = None,
    confirm_labels: Collection[str] = (),
    site_words: Collection[str] | None = None,
    may_drop: Callable[[Span], bool] | None = None,
    blocks: Iterable[Span] = (),
) -> list[Span]:
    """The merged, non-overlapping entity list (sorted) for one Doc.

    ``agree``: the second opinion's spans; a model span it does not hold (same offsets and label) is
    dropped (``agree_scope="all"``) or only kept from changing rule entities (``"replace"``: it may still
    be added where no rule entity is). ``plain_words``: with it, a one-token model span that would be
    added where no rule entity is, and is a stop word or one of these (lower-case) words, is dropped.
    ``confirm_labels``: rule entities of these labels that no model or ``agree`` span overlaps are dropped
    (with ``may_drop``, only those it returns True for).
    ``site_words``: a model DIAGNOSIS of only these words, stop words and punctuation is dropped.
    ``blocks``: the rules' blocker spans; a model DIAGNOSIS overlapping one is dropped.
    """
    label_policies = label_policies or {}
    check_policies(policy, label_policies, agree_scope)
    open_set = set(open_labels)
    model_spans = list(model_spans)
    agree = None if agree is None else list(agree)
    agreed = None if agree is None else {(s.start, s.end, s.label_) for s in agree}
    kept = list(rule_ents)
    blocks = list(blocks)
    if confirm_labels:
        support = [*model_spans, *(agree or ())]
        kept = [
            e
            for e in kept
            if e.label_ not in confirm_labels
            or any(_overlaps(e, m) for m in support)
            or (may_drop is not None and not may_drop(e))
        ]
    added: list[Span] = []
    for span in sorted(model_spans, key=lambda s: (s.start, -len(s))):
        if span.label_ not in open_set:
            continue
        if site_words is not None and span.label_ in SITE_GUARDED and only_sites(span, site_words):
            continue
        if span.label_ in BLOCK_GUARDED and any(_overlaps(b, span) for b in blocks):
            continue
        confirmed = agreed is None or (span.start, span.end, span.label_) in agreed
        if not confirmed and agree_scope == "all":
            continue
        hits = [e for e in kept if _overlaps(e, span)]
        if any(_overlaps(a, span) for a in added):
            continue
        if not hits:
            if plain_words is not None and len(span) == 1 and (span[0].is_stop or span[0].lower_ in plain_words):
                continue
            added.append(span)
            continue
        if not confirmed:
            continue
        pol = label_policies.get(span.label_, policy)
        if pol == "fill" or any(e.label_ not in open_set for e in hits):
            continue
        if not all(e.label_ == span.label_ or (span.start <= e.start and e.end <= span.end) for e in hits):
            continue
        if pol == "longer" and not all(e.label_ == span.label_ and len(span.text) > len(e.text) for e in hits):
            continue
        kept = [e for e in kept if not any(e is h for h in hits)]
        added.append(span)
    return sorted(kept + added, key=lambda s: (s.start, s.end))


class ModelMerge:
    """Merges ``doc.spans[spans_key]`` into ``doc.ents`` by ``policy``."""

    def __init__(
        self,
        spans_key: str,
        policy: str,
        open_labels: list[str],
        label_policies: dict[str, str] | None = None,
        agree_key: str | None = None,
        agree_scope: str = "all",
        confirm_labels: Collection[str] = (),
        confirm_tagger: str | None = None,
        confirm_below: float = 0.001,
        nlp: Language | None = None,
        blocks_key: str | None = None,
    ) -> None:
        check_policies(policy, label_policies or {}, agree_scope)
        unknown = set(confirm_labels) - set(open_labels)
        if unknown:
            raise ValueError(f"confirm_labels must be open-class labels; got {sorted(unknown)}")
        if confirm_tagger is not None and nlp is None:
            raise ValueError("confirm_tagger needs the pipeline (nlp)")
        if not 0.0 < confirm_below <= 1.0:
            raise ValueError(f"confirm_below must be in (0, 1]; got {confirm_below}")
        self.confirm_labels = frozenset(confirm_labels)
        self.confirm_tagger = confirm_tagger
        self.confirm_below = confirm_below
        self.nlp = nlp
        self._entity_prob: EntityProb | None = None
        self.blocks_key = blocks_key
        self.spans_key = spans_key
        self.policy = policy
        self.open_labels = tuple(open_labels)
        self.label_policies = dict(label_policies or {})
        self.agree_key = agree_key
        self.agree_scope = agree_scope
        self.plain_words: frozenset[str] | None = None
        self.site_words: frozenset[str] | None = None

    def initialize(
        self,
        get_examples: Any = None,
        *,
        nlp: Language | None = None,
        plain_words: Iterable[str] | None = None,
        site_words: Iterable[str] | None = None,
    ) -> None:
        """Set the plain (non-entity) words that may not become a one-token entity on the model's word alone,
        and the body-site words a model DIAGNOSIS may not consist of (entries may hold ``|``-separated forms
        and several words each)."""
        self.plain_words = None if plain_words is None else frozenset(w.lower() for w in plain_words)
        self.site_words = None if site_words is None else site_word_set(site_words)

    def __call__(self, doc: Doc) -> Doc:
        model = doc.spans.get(self.spans_key, [])
        agree = doc.spans.get(self.agree_key, []) if self.agree_key else None
        if len(model) or self.confirm_labels:
            doc.ents = merge_spans(
                doc.ents,
                model,
                self.policy,
                self.open_labels,
                self.label_policies,
                agree,
                self.agree_scope,
                self.plain_words,
                self.confirm_labels,
                self.site_words,
                self._tagger_veto(doc) if self.confirm_tagger else None,
                doc.spans.get(self.blocks_key, ()) if self.blocks_key else (),
            )
        return doc

    def _tagger_veto(self, doc: Doc) -> Callable[[Span], bool]:
        """``may_drop`` for one Doc: True when the tagger's entity probability is below ``confirm_below`` on
        every token of the span (the probabilities are computed on the first call)."""
        tagger = self.nlp.get_pipe(self.confirm_tagger)
        if self._entity_prob is None or self._entity_prob.tagger is not tagger:
            self._entity_prob = EntityProb(tagger)
        entity_prob = self._entity_prob
        probs: numpy.ndarray | None = None

        def may_drop(span: Span) -> bool:
            nonlocal probs
            if probs is None:
                probs = entity_prob(doc)
            return bool(probs[span.start : span.end].max() < self.confirm_below)

        return may_drop

    def to_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> None:
        """The plain and site words (the policy lives in the config)."""
        path = Path(path)
        for name, words in ((PLAIN_WORDS_FILE, self.plain_words), (SITE_WORDS_FILE, self.site_words)):
            if words is not None:
                path.mkdir(parents=True, exist_ok=True)
                srsly.write_json(path / name, sorted(words))

    def from_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> ModelMerge:
        plain, sites = Path(path) / PLAIN_WORDS_FILE, Path(path) / SITE_WORDS_FILE
        self.plain_words = frozenset(srsly.read_json(plain)) if plain.exists() else None
        self.site_words = frozenset(srsly.read_json(sites)) if sites.exists() else None
        return self


class EntityProb:
    """1 - P(O) per token from a BILUO tagger (one listening to a tok2vec reads ``doc.tensor``); the
    column of O and whether the softmax outputs logits are looked up once."""

    def __init__(self, tagger: Any) -> None:
        self.tagger = tagger
        self.o_column = list(tagger.labels).index("O")
        softmax = next((n for n in tagger.model.walk() if n.name == "softmax"), None)
        self.logits = softmax is not None and not softmax.attrs.get("softmax_normalize", True)

    def __call__(self, doc: Doc) -> numpy.ndarray:
        model = self.tagger.model
        scores = model.ops.to_numpy(model.predict([doc])[0])
        if self.logits:
            scores = numpy.exp(scores - scores.max(axis=1, keepdims=True))
            scores /= scores.sum(axis=1, keepdims=True)
        return 1.0 - scores[:, self.o_column]


def site_word_set(entries: Iterable[str]) -> frozenset[str]:
    """The lower-case words of site-list entries (``|``-separated forms of one or more words each)."""
    return frozenset(w for entry in entries for form in entry.lower().split("|") for w in form.split())


@registry.misc("imr_spacy.read_word_list.v1")
def read_word_list(path: str) -> list[str]:
    """The words of a text file, one a line (lines starting with # are comments)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [w for w in (x.strip() for x in lines) if w and not w.startswith("#")]


@Language.factory("imr_model_stash", default_config={"spans_key": MODEL_KEY, "tags_key": None})
def make_model_stash(nlp: Language, name: str, spans_key: str, tags_key: str | None) -> ModelStash:
    """Factory of :class:`ModelStash`."""
    return ModelStash(spans_key, tags_key)


@Language.factory(
    "imr_model_merge",
    default_config={
        "spans_key": MODEL_KEY,
        "policy": "fill",
        "open_labels": list(OPEN_LABELS),
        "label_policies": {},
        "agree_key": None,
        "agree_scope": "all",
        "confirm_labels": [],
        "confirm_tagger": None,
        "confirm_below": 0.001,
        "blocks_key": None,
    },
)
def make_model_merge(
    nlp: Language,
    name: str,
    spans_key: str,
    policy: str,
    open_labels: list[str],
    label_policies: dict[str, str],
    agree_key: str | None,
    agree_scope: str,
    confirm_labels: list[str],
    confirm_tagger: str | None,
    confirm_below: float,
    blocks_key: str | None,
) -> ModelMerge:
    """Factory of :class:`ModelMerge`."""
    return ModelMerge(
        spans_key,
        policy,
        open_labels,
        label_policies,
        agree_key,
        agree_scope,
        confirm_labels,
        confirm_tagger,
        confirm_below,
        nlp,
        blocks_key,
    )
