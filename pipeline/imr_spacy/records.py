"""One annotated Doc as one plain JSON record (a line of ``imr annotate``), and back.

The record (``schemas/annotation.schema.json``) holds the id, the source, the text's length and
SHA-1, the text itself unless left out, the entities with every SCHEMA attribute (ConText flags,
``context_cues``, ``section``, the label's attributes), the sections, the decisions and relations
as character offsets, the case facts, and the pipeline's name and version. Entities use the gold
format's shape (``start``, ``end``, ``label``, ``attrs``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from . import __version__
from .extensions import CONTEXT_ATTRS, LABEL_ATTRS, SPAN_ATTRS
from .textview import doc_text

RECORD_FORMAT = "imr-annotation/1"
Offsets = list[int]


def text_sha1(text: str) -> str:
    """SHA-1 of the UTF-8 text (as ``shared/tools/score.py`` checks texts of gold records)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def pipeline_info(nlp: Language) -> dict[str, str]:
    """Name and version of the pipeline, spaCy and imr_spacy."""
    meta = nlp.meta
    return {
        "name": f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}",
        "version": str(meta.get("version", "0.0.0")),
        "spacy": spacy.about.__version__,
        "imr_spacy": __version__,
    }


def plain(value: Any) -> Any:
    """``value`` as JSON data: Spans become ``[start, end]``, tuples lists."""
    if isinstance(value, Span):
        return [value.start_char, value.end_char]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


#: Fields of a ConText cue kept without text (the others may quote the document).
CUE_FIELDS_WITHOUT_TEXT = ("category", "direction")


def _cue_without_text(cue: Any) -> Any:
    if not isinstance(cue, dict):
        return {}
    return {k: v for k, v in cue.items() if k in CUE_FIELDS_WITHOUT_TEXT or not isinstance(v, str)}


def entity_attrs(span: Span, include_text: bool = True) -> dict[str, Any]:
    """ConText flags, ``context_cues``, ``section``, the label's attributes, other set attributes.

    Without ``include_text``, cue fields that may quote the document (trigger words) are left out.
    """
    ext = span._  # one Underscore per span (each ``span._`` builds a new one)
    attrs: dict[str, Any] = {name: bool(getattr(ext, name)) for name in CONTEXT_ATTRS}
    cues = plain(ext.context_cues or [])
    attrs["context_cues"] = cues if include_text else [_cue_without_text(c) for c in cues]
    attrs["section"] = ext.section
    for name in LABEL_ATTRS.get(span.label_, ()):
        attrs[name] = plain(getattr(ext, name))
    for name, default in SPAN_ATTRS.items():
        if name not in attrs and Span.has_extension(name):
            value = getattr(ext, name)
            if value != default:
                attrs[name] = plain(value)
    return attrs


def doc_to_record(
    doc: Doc, *, doc_id: str, source: str, pipeline: dict[str, str], include_text: bool = True
) -> dict[str, Any]:
    """The record of an annotated Doc.

    Without ``include_text`` neither the document's text nor span texts (entities, cue triggers) are
    kept; extracted values (normalized attributes, case facts) are.
    """
    text = doc_text(doc)  # O(n) in spaCy: read once
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "id": doc_id,
        "source": source,
        "text_length": len(text),
        "sha1": text_sha1(text),
    }
    if include_text:
        record["text"] = text
    entities = []
    for ent in doc.ents:
        entity: dict[str, Any] = {"start": ent.start_char, "end": ent.end_char, "label": ent.label_}
        if include_text:
            entity["text"] = text[ent.start_char : ent.end_char]  # ent.text builds a Token per token
        entity["attrs"] = entity_attrs(ent, include_text)
        entities.append(entity)
    record["entities"] = entities
    record["sections"] = [{"start": s, "end": e, "title": t} for s, e, t in doc._.section_bounds or []]
    record["decisions"] = [decision_record(d) for d in doc._.decisions]
    record["relations"] = [{"head": plain(h), "child": plain(c), "label": lab} for h, c, lab in doc._.relations]
    record["case"] = plain(doc._.case or {})
    record["pipeline"] = dict(pipeline)
    return record


def decision_record(dec: dict[str, Any]) -> dict[str, Any]:
    """One ``doc._.decisions`` entry as JSON data (Spans as [start, end])."""
    return {
        "item": plain(dec.get("item")),
        "treatment": plain(dec.get("treatment")),
        "count": plain(dec.get("count")),
        "outcome": dec.get("outcome"),
        "decision": plain(dec.get("decision")),
        "guidelines": [plain(g) for g in dec.get("guidelines") or [] if g is not None],
        "rationale": plain(dec.get("rationale")),
    }


def record_cuts(record: dict[str, Any]) -> set[int]:
    """Every entity boundary of a record (tokens must break there)."""
    return {x for ent in record.get("entities", []) for x in (ent["start"], ent["end"])}


def record_to_doc(record: dict[str, Any], nlp: Language, text: str | None = None) -> Doc:
    """The Doc of a record: ``nlp``'s tokens (split at entity boundaries), entities and attributes.

    ``text`` is needed when the record holds none. Raises ValueError when it does not match the
    record's SHA-1.
    """
    from .exports.tokens import aligned_doc

    text = record.get("text") if text is None else text
    if text is None:
        raise ValueError(f"record {record.get('id')!r} holds no text")
    if "sha1" in record and text_sha1(text) != record["sha1"]:
        raise ValueError(f"text of record {record.get('id')!r} does not match its sha1")
    doc = aligned_doc(nlp, text, record_cuts(record))
    ents = []
    for ent in record.get("entities", []):
        span = doc.char_span(ent["start"], ent["end"], label=ent["label"])
        if span is None:  # a boundary inside whitespace: cannot be a token boundary
            raise ValueError(f"record {record.get('id')!r}: entity {ent['start']}-{ent['end']} is not token-aligned")
        ents.append((span, ent.get("attrs", {})))
    doc.ents = [span for span, _ in ents]
    for span, attrs in ents:
        for name, value in attrs.items():
            if name != "section" and Span.has_extension(name):
                setattr(span._, name, value)
    doc._.section_bounds = [[s["start"], s["end"], s["title"]] for s in record.get("sections", [])]
    doc._.decision_records = [dict(d) for d in record.get("decisions", [])]
    doc._.relation_records = [[r["head"], r["child"], r["label"]] for r in record.get("relations", [])]
    doc._.case = dict(record.get("case") or {})
    doc.user_data["imr_id"] = record.get("id")
    doc.user_data["imr_source"] = record.get("source")
    return doc
