"""``imr annotate --engine dask``: annotate on a dask.distributed cluster, same output as the local run.

- The client discovers the inputs (:func:`imr_spacy.inputs.discover`, the local rules) and cuts the
  item list into partitions of ``partition_size`` items by position. A task gets the partition's
  item list (ids and paths: the worker reads the files itself; JSONL lines are parsed by the client,
  as in the local engine, and travel with the task).
- A worker loads the pipeline once per process (:func:`worker_model`, cached by model and size
  limit), annotates its partition with :func:`imr_spacy.batch.annotate_chunk` and writes one
  partition file into ``OUT.parts/``: a header line (partition, fingerprint, one entry per item)
  and then the exact record and error lines, in input order. It is written to a hidden temporary
  file, fsynced and renamed, so a partition file is always whole.
- The client merges the partition files into OUT and the error file strictly in partition order,
  line by line with :class:`imr_spacy.batch.JsonlWriter` (so OUT is byte-identical to a local
  run's), fsyncs, and deletes each merged partition file.
- ``--resume``: ids already in OUT are skipped; a partition file left by a killed run is merged
  again instead of being recomputed when its fingerprint matches and it holds a record for every
  pending item (a partition with a pending error is annotated again: errors are retried on every
  run). A partition whose task fails (worker killed, file not written) gives one ``worker`` error
  per item.

Task keys are ``imr-annotate-<run>-<partition>``; partitions repr as their number and size, so
document text never reaches task names, keys or dask's logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .batch import (
    BatchOptions,
    Encoded,
    JsonlWriter,
    Result,
    Stats,
    annotate_chunk,
    chunked,
    encode_line,
    encode_results,
    error_line,
    load_model,
    write_all,
)
from .inputs import Document, FileInput, InputError, Item, load
from .records import pipeline_info

if TYPE_CHECKING:
    from distributed import Client, Future
    from spacy.language import Language

PART_FORMAT = "imr-part/1"
PART_SUFFIX = ".part"  # not an input suffix: partition files are never discovered as inputs
DEFAULT_PARTITION_SIZE = 8
DEFAULT_WORKERS = 2
CONNECT_TIMEOUT = "30s"
WORKERS_TIMEOUT = 120.0


class DaskEngineError(Exception):
    """The engine cannot run (dask missing, no scheduler, model not loadable); the message is safe."""


@dataclass(frozen=True)
class DaskOptions:
    """Where to run: a scheduler address, or a LocalCluster of ``workers`` single-threaded processes."""

    scheduler: str | None = None
    workers: int = DEFAULT_WORKERS


@dataclass(frozen=True)
class Job:
    """What every task of a run shares (small; sent with each task)."""

    model: str
    max_bytes: int
    include_text: bool
    batch_size: int
    parts_dir: str  # absolute
    base_dir: str  # the client's working directory: relative input paths are read from here
    run: str
    fingerprint: str


@dataclass(frozen=True)
class Partition:
    """The pending items of partition ``number`` and their positions in it."""

    number: int
    positions: tuple[int, ...]
    items: tuple[Item, ...]

    def __repr__(self) -> str:  # dask prints task arguments in its logs: never the items
        return f"Partition(number={self.number}, documents={len(self.items)})"

    def refs(self) -> Slot:
        """The partition without texts: what the client keeps while it runs."""
        return Slot(self.number, self.positions, tuple((item.id, item.source) for item in self.items))


@dataclass(frozen=True)
class Slot:
    """A partition's number, positions and (id, source) pairs."""

    number: int
    positions: tuple[int, ...]
    refs: tuple[tuple[str, str], ...]


@dataclass
class Report:
    """What the engine did, for the summary."""

    scheduler: str = ""
    workers: int = 0
    threads: int = 0
    partitions: int = 0
    reused: int = 0
    failed: int = 0


@dataclass
class _Done:
    """A partition ready to merge: its file, or why it failed."""

    slot: Slot
    path: Path | None = None
    reason: str | None = None


def parts_dir_for(output: Path) -> Path:
    """``OUT.parts``: the folder of partition files beside OUT (``out.jsonl`` -> ``out.parts``)."""
    return output.with_name(f"{output.name.removesuffix('.jsonl')}.parts")


def fingerprint(options: BatchOptions, partition_size: int) -> str:
    """What a partition file's content depends on besides its items."""
    blob = json.dumps(
        [options.model, options.max_bytes, options.include_text, partition_size, __version__], sort_keys=True
    )
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:16]


def task_key(run: str, number: int) -> str:
    """The dask key of a partition's task: run token and partition number only."""
    return f"imr-annotate-{run}-{number:06d}"


# ---------------------------------------------------------------------------------------- worker side

_MODELS: dict[tuple[str, int], tuple[Language, dict[str, str], threading.Lock]] = {}
_MODELS_LOCK = threading.Lock()


def worker_model(model: str, max_bytes: int) -> tuple[Language, dict[str, str], threading.Lock]:
    """The pipeline of this worker process, loaded once per (model, size limit), and its lock."""
    key = (model, max_bytes)
    with _MODELS_LOCK:
        if key not in _MODELS:
            nlp = load_model(model, max_bytes)
            _MODELS[key] = (nlp, pipeline_info(nlp), threading.Lock())
        return _MODELS[key]


def warm_model(model: str, max_bytes: int) -> dict[str, str]:
    """Load the pipeline on a worker (``client.run``); its pipeline info."""
    return worker_model(model, max_bytes)[1]


def _load_on_worker(item: Item, base_dir: str, max_bytes: int) -> Document | InputError:
    """Read a file item on the worker; a relative path is taken from the client's directory."""
    if isinstance(item, FileInput) and not os.path.isabs(item.source):
        loaded = load(replace(item, source=os.path.join(base_dir, item.source)), max_bytes)
        return replace(loaded, source=item.source)
    return load(item, max_bytes)


def _header(job: Job, partition: Partition, results: list[Encoded]) -> dict[str, Any]:
    entries = []
    for pos, item, (kind, _line, counts) in zip(partition.positions, partition.items, results, strict=True):
        entries.append([pos, kind, item.id, item.source, counts])
    return {"format": PART_FORMAT, "partition": partition.number, "fingerprint": job.fingerprint, "entries": entries}


def _write_atomically(path: Path, lines: Iterable[bytes]) -> None:
    """Write ``lines`` to a hidden temporary file, fsync, rename to ``path``, fsync the folder.

    The temporary name is unique, so two attempts at one partition never write into one file.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for data in lines:
            write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def part_path(parts_dir: str | Path, run: str, number: int) -> Path:
    """The partition file of ``number`` written by run ``run``."""
    return Path(parts_dir) / f"part-{number:06d}-{run}.jsonl{PART_SUFFIX}"


def annotate_partition(job: Job, partition: Partition) -> dict[str, Any]:
    """Task: annotate a partition into its partition file. Never raises; failures name a type only."""
    try:
        nlp, info, lock = worker_model(job.model, job.max_bytes)
        results: list[Result] = []
        for chunk in chunked(partition.items, job.batch_size):
            loaded: list[Item] = [_load_on_worker(item, job.base_dir, job.max_bytes) for item in chunk]
            with lock:
                results += annotate_chunk(
                    nlp, loaded, max_bytes=job.max_bytes, include_text=job.include_text, pipeline=info
                )
        encoded = encode_results(results)
        header = _header(job, partition, encoded)
        path = part_path(job.parts_dir, job.run, partition.number)
        _write_atomically(path, [encode_line(header), *(line for _, line, _ in encoded)])
    except Exception as exc:
        return {"status": "failed", "reason": f"worker process failed ({type(exc).__name__})"}
    errors = sum(kind == "error" for kind, _ in results)
    return {"status": "ok", "path": str(path), "records": len(results) - errors, "errors": errors}


# ---------------------------------------------------------------------------------------- client side


def _read_part(path: Path) -> tuple[dict[str, Any], list[bytes]] | None:
    """Header and lines of a partition file, or None when it is missing or not whole."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    lines = data.splitlines(keepends=True)
    if not lines or not all(line.endswith(b"\n") for line in lines):
        return None
    try:
        header = json.loads(lines[0])
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("format") != PART_FORMAT:
        return None
    entries = header.get("entries")
    if not isinstance(entries, list) or len(entries) != len(lines) - 1 or not all(map(_is_entry, entries)):
        return None
    return header, lines[1:]


def _is_entry(entry: Any) -> bool:
    """``[position, "record"|"error", id, source, counts]``."""
    return (
        isinstance(entry, list)
        and len(entry) == 5
        and isinstance(entry[0], int)
        and entry[1] in ("record", "error")
        and isinstance(entry[2], str)
        and isinstance(entry[3], str)
        and isinstance(entry[4], dict)
    )


def _fits(header: dict[str, Any], slot: Slot, fp: str, *, reuse: bool) -> bool:
    """Does the file hold every pending item of ``slot`` (and, to be reused, only as records)?"""
    if header.get("partition") != slot.number or header.get("fingerprint") != fp:
        return False
    by_pos = {e[0]: e for e in header["entries"]}
    for pos, (doc_id, source) in zip(slot.positions, slot.refs, strict=True):
        entry = by_pos.get(pos)
        if entry is None or entry[2] != doc_id or entry[3] != source:
            return False
        if reuse and entry[1] != "record":
            return False
    return True


def _reusable(parts: dict[int, list[Path]], slot: Slot, fp: str) -> Path | None:
    """A partition file of an earlier run that can stand in for the task of ``slot``."""
    for path in parts.get(slot.number, []):
        found = _read_part(path)
        if found and _fits(found[0], slot, fp, reuse=True):
            return path
    return None


def _existing_parts(parts_dir: Path) -> dict[int, list[Path]]:
    """Partition files left in ``parts_dir``, by partition number."""
    parts: dict[int, list[Path]] = {}
    if not parts_dir.is_dir():
        return parts
    for path in sorted(parts_dir.glob(f"part-*{PART_SUFFIX}")):
        number = path.name.split("-")[1]
        if number.isdigit():
            parts.setdefault(int(number), []).append(path)
    return parts


def _clear_parts(parts_dir: Path) -> None:
    """Delete partition files and temporary files of earlier runs (nothing else)."""
    if not parts_dir.is_dir():
        return
    for path in [*parts_dir.glob(f"part-*{PART_SUFFIX}"), *parts_dir.glob(f".part-*{PART_SUFFIX}.*.tmp")]:
        path.unlink(missing_ok=True)


def plan(items: Iterable[Item], partition_size: int, done: AbstractSet[str], stats: Stats) -> Iterator[Partition]:
    """Partitions by position over all items; items whose id is in ``done`` are skipped (counted)."""
    for number, chunk in enumerate(chunked(items, partition_size)):
        positions: list[int] = []
        pending: list[Item] = []
        for pos, item in enumerate(chunk):
            if not isinstance(item, InputError) and item.id in done:
                stats.skipped += 1
                continue
            positions.append(pos)
            pending.append(item)
        if pending:
            yield Partition(number, tuple(positions), tuple(pending))


class Session:
    """A dask client whose workers have loaded the pipeline; runs :meth:`annotate`.

    Made by :meth:`open` before any output file is touched, so a usage error (no dask, no
    scheduler, a model the workers cannot load) leaves OUT as it was.
    """

    def __init__(self, client: Client, cluster: Any, options: BatchOptions, *, own: bool) -> None:
        self.client, self.cluster, self.options, self.own = client, cluster, options, own
        self.report = Report(scheduler=str(client.scheduler_info().get("address", "")))

    @classmethod
    def open(cls, dask: DaskOptions, options: BatchOptions, client: Client | None = None) -> Session:
        """Connect (to ``client`` if given, else per ``dask``) and load the pipeline on every worker."""
        own = client is None
        cluster = None
        if client is None:
            client, cluster = _connect(dask)
        session = cls(client, cluster, options, own=own)
        try:
            session._warm()
        except BaseException:
            session.close()
            raise
        return session

    def _warm(self) -> None:
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            raise DaskEngineError(f"no dask worker joined within {WORKERS_TIMEOUT:.0f} s") from None
        nthreads = self.client.nthreads()
        self.report.workers, self.report.threads = len(nthreads), sum(nthreads.values())
        try:
            self.client.run(warm_model, self.options.model, self.options.max_bytes)
        except Exception as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DaskEngineError(f"cannot load model {self.options.model!r} on the workers: {message}") from None

    def close(self) -> None:
        """Close the client and the LocalCluster this session started (a given client stays open)."""
        if self.own:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def annotate(
        self,
        items: Iterable[Item],
        *,
        partition_size: int,
        parts_dir: Path,
        out: JsonlWriter,
        err: JsonlWriter,
        stats: Stats,
        done: AbstractSet[str] = frozenset(),
        resume: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> Report:
        """Annotate ``items``: records to ``out``, errors to ``err``, in input order.

        ``progress(documents, errors)`` is called as partitions finish. Partition files live in
        ``parts_dir`` until merged; without ``resume`` those of earlier runs are deleted first.
        """
        options = self.options
        parts_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not resume:
            _clear_parts(parts_dir)
        job = Job(
            model=options.model,
            max_bytes=options.max_bytes,
            include_text=options.include_text,
            batch_size=options.batch_size,
            parts_dir=str(parts_dir.resolve()),
            base_dir=os.getcwd(),
            run=uuid.uuid4().hex[:12],
            fingerprint=fingerprint(options, partition_size),
        )
        existing = _existing_parts(parts_dir) if resume else {}
        report = replace(self.report, partitions=0, reused=0, failed=0)
        runner = _Runner(self.client, job, existing, out, err, stats, report, progress)
        runner.run(plan(items, partition_size, done, stats), window=2 * max(1, report.threads))
        _clear_parts(parts_dir)
        with contextlib.suppress(OSError):  # something else lives there: left alone
            parts_dir.rmdir()
        return report


def _connect(dask: DaskOptions) -> tuple[Client, Any]:
    """A client of the given scheduler, or of a new LocalCluster on 127.0.0.1 (returned too)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DaskEngineError("the dask engine needs dask.distributed: pip install 'imr-spacy[dask]'") from None
    if dask.scheduler:
        try:
            client = Client(dask.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DaskEngineError(f"cannot connect to scheduler {dask.scheduler} ({type(exc).__name__})") from None
        return client, None
    cluster = LocalCluster(
        n_workers=dask.workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,  # no dashboard; its HTTP server (health checks) on a free loopback port:
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    try:
        return Client(cluster, set_as_default=False), cluster
    except BaseException:
        cluster.close()
        raise


class _Runner:
    """Keeps ``window`` partitions in flight and merges finished ones in partition order."""

    def __init__(
        self,
        client: Client,
        job: Job,
        existing: dict[int, list[Path]],
        out: JsonlWriter,
        err: JsonlWriter,
        stats: Stats,
        report: Report,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        from distributed import as_completed

        self.client, self.job, self.existing = client, job, existing
        self.out, self.err, self.stats, self.report = out, err, stats, report
        self.progress = progress or (lambda documents, errors: None)
        self.inflight: dict[Future, Slot] = {}
        self.ready: dict[int, _Done] = {}
        self.order: deque[int] = deque()
        self.completed = as_completed(loop=client.loop)  # not default_client(): none is set

    def run(self, partitions: Iterator[Partition], window: int) -> None:
        """Submit, wait, merge, until every partition is merged."""
        try:
            self._fill(partitions, window)
            while self.order:
                while self.order and self.order[0] in self.ready:
                    self._merge(self.ready.pop(self.order.popleft()))
                if not self.order:
                    break
                future = next(self.completed)  # the head is in flight: something is
                self._finish(future, self.inflight.pop(future))
                self._fill(partitions, window)
        finally:
            if self.inflight:
                self.client.cancel(list(self.inflight))

    def _fill(self, partitions: Iterator[Partition], window: int) -> None:
        while len(self.inflight) < window:
            partition = next(partitions, None)
            if partition is None:
                return
            slot = partition.refs()
            self.order.append(slot.number)
            self.report.partitions += 1
            path = _reusable(self.existing, slot, self.job.fingerprint)
            if path is not None:
                self.report.reused += 1
                self.ready[slot.number] = _Done(slot, path)
                self.progress(len(slot.refs), 0)
                continue
            future = self.client.submit(
                annotate_partition, self.job, partition, key=task_key(self.job.run, slot.number), pure=False
            )
            self.inflight[future] = slot
            self.completed.add(future)

    def _finish(self, future: Future, slot: Slot) -> None:
        try:
            result = future.result()
        except Exception as exc:  # KilledWorker, CancelledError, lost connection
            result = {"status": "failed", "reason": f"worker process failed ({type(exc).__name__})"}
        if result.get("status") == "ok":
            done = _Done(slot, Path(result["path"]))
            errors = int(result.get("errors", 0))
        else:
            done = _Done(slot, reason=str(result.get("reason", "worker process failed")))
            errors = len(slot.refs)
        self.ready[slot.number] = done
        self.progress(len(slot.refs), errors)

    def _merge(self, done: _Done) -> None:
        """Append the partition's pending lines to OUT and the error file, fsync, delete its file."""
        slot = done.slot
        found = _read_part(done.path) if done.path is not None and done.reason is None else None
        if found is None or not _fits(found[0], slot, self.job.fingerprint, reuse=False):
            self.report.failed += 1
            reason = done.reason or "partition file missing or unreadable"
            for doc_id, source in slot.refs:
                line = error_line(doc_id, source, reason, "worker")
                self.err.write(line)
                self.stats.add("error", {})
        else:
            header, lines = found
            wanted = set(slot.positions)
            for (pos, kind, _id, _source, counts), line in zip(header["entries"], lines, strict=True):
                if pos not in wanted:
                    continue
                if kind == "record":
                    self.out.write_line(line)
                    self.stats.add("record", counts)
                else:
                    self.err.write_line(line)
                    self.stats.add("error", {})
        self.out.sync()
        self.err.sync()
        if done.path is not None:
            done.path.unlink(missing_ok=True)
