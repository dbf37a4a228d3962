"""The annotate loop: items in, one record or error line out per document, nothing lost.

- Each line is written whole with ``os.write`` (one call per line unless the kernel writes
  short) and fsynced every ``FSYNC_EVERY`` lines or ``FSYNC_SECONDS``, and at the end.
- :func:`resume_ids` reads the ids of an output file and cuts off a torn last line, so a run
  killed at any moment and restarted with ``--resume`` ends with every document exactly once.
- Documents go through ``nlp.pipe`` in chunks of ``batch_size``; when a chunk raises, its
  documents are run one by one so only the failing one becomes an error (its reason names the
  component and the exception type, never the text).
- With ``n_process > 1`` chunks go to worker processes (:mod:`imr_spacy.worker_pool`); results
  are written in input order.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .inputs import DEFAULT_MAX_BYTES, Document, InputError, Item, load
from .records import doc_to_record

FSYNC_EVERY = 100
FSYNC_SECONDS = 5.0
Result = tuple[str, dict[str, Any]]  # ("record", record) or ("error", error line)
Counts = dict[str, dict[str, int]]
Encoded = tuple[str, bytes, Counts]  # kind, the JSONL line, record_counts (empty for an error)


def encode_line(obj: dict[str, Any]) -> bytes:
    """``obj`` as one JSONL line: UTF-8 JSON, ASCII-escaped only when it holds lone surrogates."""
    try:
        return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from a PDF text layer
        return (json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii")


def encode_results(results: list[Result]) -> list[Encoded]:
    """Each result as its JSONL line with the counts :class:`Stats` needs."""
    return [
        (kind, encode_line(payload), record_counts(payload) if kind == "record" else {}) for kind, payload in results
    ]


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class JsonlWriter:
    """Appends JSON lines, each in one write, flushed to the OS at once and fsynced periodically.

    New files are created with mode 0600: annotation output is PHI.
    """

    def __init__(self, path: str | Path, *, append: bool = False) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        self.fd = os.open(path, flags, 0o600)
        self.unsynced = 0
        self.synced_at = time.monotonic()

    def write(self, obj: dict[str, Any]) -> None:
        """Write ``obj`` as one line."""
        self.write_line(encode_line(obj))

    def write_line(self, data: bytes) -> None:
        """Write one encoded line (``data`` ends with a newline), as :meth:`write` does."""
        write_all(self.fd, data)
        self.unsynced += 1
        if self.unsynced >= FSYNC_EVERY or time.monotonic() - self.synced_at >= FSYNC_SECONDS:
            self.sync()

    def sync(self) -> None:
        """fsync what was written."""
        os.fsync(self.fd)
        self.unsynced = 0
        self.synced_at = time.monotonic()

    def close(self) -> None:
        """fsync and close."""
        if self.fd >= 0:
            self.sync()
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resume_ids(path: str | Path) -> tuple[set[str], int]:
    """Ids of the complete records in ``path`` and how many bytes of a torn tail were cut off.

    The file is truncated after its last complete, parseable line (a run killed mid-write leaves
    at most one partial line; anything after the first bad line is annotated again).
    """
    path = Path(path)
    if not path.exists():
        return set(), 0
    ids: set[str] = set()
    good_end = 0
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            if raw.strip():
                try:
                    obj = json.loads(raw)
                except ValueError:
                    break
                if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                    break
                ids.add(obj["id"])
            good_end += len(raw)
    size = path.stat().st_size
    if size > good_end:
        os.truncate(path, good_end)
    return ids, size - good_end


def load_model(model: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Language:
    """``spacy.load(model)`` with ``max_length`` raised to admit every text under the size limit."""
    nlp = spacy.load(model)
    nlp.max_length = max(nlp.max_length, max_bytes + 1)
    return nlp


class PipelineError(Exception):
    """A document the pipeline failed on; ``reason`` names the component, never the text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run_pipeline(nlp: Language, text: str) -> Doc:
    """``nlp(text)`` component by component, so a failure names its component."""
    try:
        doc = nlp.make_doc(text)
    except Exception as exc:
        raise PipelineError(f"tokenizer raised {type(exc).__name__}") from None
    for name, proc in nlp.pipeline:
        try:
            doc = proc(doc)
        except Exception as exc:
            raise PipelineError(f"component '{name}' raised {type(exc).__name__}") from None
    return doc


def error_line(doc_id: str, source: str, reason: str, stage: str) -> dict[str, Any]:
    """An error file line: id, source, reason and stage (``read``, ``annotate``, ``worker``)."""
    return {"id": doc_id, "source": source, "reason": reason, "stage": stage}


def annotate_chunk(
    nlp: Language, items: list[Item], *, max_bytes: int, include_text: bool, pipeline: dict[str, str]
) -> list[Result]:
    """Read and annotate ``items``: one result per item, in order."""
    results: list[Result | None] = [None] * len(items)
    docs: list[tuple[int, Document]] = []
    for i, item in enumerate(items):
        loaded = load(item, max_bytes)
        if isinstance(loaded, InputError):
            results[i] = ("error", error_line(loaded.id, loaded.source, loaded.reason, "read"))
        else:
            docs.append((i, loaded))

    def record(i: int, document: Document, doc: Doc) -> None:
        try:
            rec = doc_to_record(
                doc, doc_id=document.id, source=document.source, pipeline=pipeline, include_text=include_text
            )
        except Exception as exc:
            results[i] = ("error", error_line(document.id, document.source, f"record: {type(exc).__name__}", "record"))
        else:
            results[i] = ("record", rec)

    try:
        parsed = list(nlp.pipe([d.text for _, d in docs], batch_size=max(1, len(docs))))
    except Exception:
        for i, document in docs:
            try:
                doc = run_pipeline(nlp, document.text)
            except PipelineError as exc:
                results[i] = ("error", error_line(document.id, document.source, exc.reason, "annotate"))
            else:
                record(i, document, doc)
    else:
        for (i, document), doc in zip(docs, parsed, strict=True):
            record(i, document, doc)
    return [r for r in results if r is not None]


@dataclass
class BatchOptions:
    """How to run: model name or path, size limit, text in records, chunk size, processes."""

    model: str
    max_bytes: int = DEFAULT_MAX_BYTES
    include_text: bool = True
    batch_size: int = 32
    n_process: int = 1


def chunked(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """Lists of ``size`` items (the last may be shorter)."""
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def record_counts(record: dict[str, Any]) -> Counts:
    """Entities by label and decisions by outcome of one record (what the summary counts)."""
    return {
        "entities": dict(Counter(e["label"] for e in record.get("entities", []))),
        "outcomes": dict(Counter(str(d.get("outcome")) for d in record.get("decisions", []))),
    }


@dataclass
class Stats:
    """Counts for the summary of a run."""

    records: int = 0
    errors: int = 0
    skipped: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)

    def add(self, kind: str, counts: Counts) -> None:
        """Count one result: an ``"error"``, or a record with its :func:`record_counts`."""
        if kind == "error":
            self.errors += 1
            return
        self.records += 1
        self.entities.update(counts.get("entities", {}))
        self.outcomes.update(counts.get("outcomes", {}))

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started
