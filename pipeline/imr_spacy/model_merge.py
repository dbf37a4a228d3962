"""Combining the trained NER with the rule entities.

Two small components, placed around the entity ruler::

    ... tok2vec -> ner -> model_stash -> entity_ruler -> model_merge -> normalizer ...

- ``imr_model_stash`` moves the trained ``ner``'s entities to ``doc.spans["model"]`` and clears
  ``doc.ents`` (the ruler then writes its own entities).
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
(a second NER trained with another seed, stashed under that key), a model span is used only when the
second model predicted the same span with the same label: a cheap ensemble confidence that removes most
one-off errors. In every policy a model span replaces only rule entities of its own label or ones it
contains.

The merged entities keep the project's contract: non-overlapping ``doc.ents`` with plain-data state,
so normalizer, context and decisions run on them unchanged. The default policy is the one measured
best on the dev split (training/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

MODEL_KEY = "model"
OPEN_LABELS: tuple[str, ...] = ("DIAGNOSIS", "TREATMENT", "FINDING", "EVIDENCE")
POLICIES = ("fill", "longer", "model")


class ModelStash:
    """Moves ``doc.ents`` (the trained NER's output) to ``doc.spans[spans_key]``."""

    def __init__(self, spans_key: str = MODEL_KEY) -> None:
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[self.spans_key] = [s for s in (trim(e) for e in doc.ents) if s is not None]
        doc.ents = []
        return doc


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


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def merge_spans(
    rule_ents: Iterable[Span],
    model_spans: Iterable[Span],
    policy: str,
    open_labels: Iterable[str],
    label_policies: dict[str, str] | None = None,
    agree: Iterable[Span] | None = None,
) -> list[Span]:
    """The merged, non-overlapping entity list (sorted) for one Doc (``agree``: the second model's spans)."""
    label_policies = label_policies or {}
    for p in (policy, *label_policies.values()):
        if p not in POLICIES:
            raise ValueError(f"unknown merge policy {p!r}; expected one of {POLICIES}")
    open_set = set(open_labels)
    agreed = None if agree is None else {(s.start, s.end, s.label_) for s in agree}
    kept = list(rule_ents)
    added: list[Span] = []
    for span in sorted(model_spans, key=lambda s: (s.start, -len(s))):
        if span.label_ not in open_set:
            continue
        if agreed is not None and (span.start, span.end, span.label_) not in agreed:
            continue
        hits = [e for e in kept if _overlaps(e, span)]
        if any(_overlaps(a, span) for a in added):
            continue
        if not hits:
            added.append(span)
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
    ) -> None:
        for p in (policy, *(label_policies or {}).values()):
            if p not in POLICIES:
                raise ValueError(f"unknown merge policy {p!r}; expected one of {POLICIES}")
        self.spans_key = spans_key
        self.policy = policy
        self.open_labels = tuple(open_labels)
        self.label_policies = dict(label_policies or {})
        self.agree_key = agree_key

    def __call__(self, doc: Doc) -> Doc:
        model = doc.spans.get(self.spans_key, [])
        agree = doc.spans.get(self.agree_key, []) if self.agree_key else None
        if len(model):
            doc.ents = merge_spans(doc.ents, model, self.policy, self.open_labels, self.label_policies, agree)
        return doc

    def to_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> None:
        """Nothing to save: the policy lives in the config."""

    def from_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> ModelMerge:
        return self


@Language.factory("imr_model_stash", default_config={"spans_key": MODEL_KEY})
def make_model_stash(nlp: Language, name: str, spans_key: str) -> ModelStash:
    """Factory of :class:`ModelStash`."""
    return ModelStash(spans_key)


@Language.factory(
    "imr_model_merge",
    default_config={
        "spans_key": MODEL_KEY,
        "policy": "fill",
        "open_labels": list(OPEN_LABELS),
        "label_policies": {},
        "agree_key": None,
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
) -> ModelMerge:
    """Factory of :class:`ModelMerge`."""
    return ModelMerge(spans_key, policy, open_labels, label_policies, agree_key)
