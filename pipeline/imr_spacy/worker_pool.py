"""Worker processes for ``imr annotate -n N``: chunks in, encoded JSONL lines out, in input order.

- Start-up. Where it is safe, the workers are forked from the parent after it has loaded the
  pipeline: they share its memory and start in milliseconds instead of each importing spaCy and
  loading the model again. Forking is safe when the parent runs a single thread (a thread
  holding a lock at the fork would leave that lock held in the child for ever), so the pool is
  forked only on Linux, with one thread running, and with a loaded pipeline; otherwise workers
  are spawned and load the model themselves. The CLI starts the pool before its progress bar's
  thread for that reason.
- Transfer. Workers send back each result as its finished JSONL line and the counts the summary
  needs, so the parent only writes bytes; it does not encode records.
- Failure. A worker that dies breaks the pool, which fails every chunk in flight. A new
  (spawned) pool takes over and runs each failed chunk again by itself: a chunk that kills its
  worker again becomes one ``worker`` error per item; the others lose nothing.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from spacy.language import Language

from .batch import BatchOptions, Encoded, annotate_chunk, chunked, encode_results, error_line, load_model
from .inputs import Item
from .records import pipeline_info

_WORKER: dict[str, Any] = {}
Window = deque[tuple[list[Item], Future[list[Encoded]]]]


def can_fork() -> bool:
    """True where forking this process is safe: Linux, and no thread but the main one."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def _init_spawned(options: BatchOptions) -> None:
    nlp = load_model(options.model, options.max_bytes)
    _WORKER.update(nlp=nlp, pipeline=pipeline_info(nlp), options=options)


def _encoded_chunk(nlp: Language, info: dict[str, str], options: BatchOptions, items: list[Item]) -> list[Encoded]:
    """One chunk annotated and encoded (in this process or a worker)."""
    results = annotate_chunk(nlp, items, max_bytes=options.max_bytes, include_text=options.include_text, pipeline=info)
    return encode_results(results)


def _work(items: list[Item]) -> list[Encoded]:
    return _encoded_chunk(_WORKER["nlp"], _WORKER["pipeline"], _WORKER["options"], items)


def _ready() -> int:
    return 0


def annotate_items(
    items: Iterable[Item], options: BatchOptions, nlp: Language | None = None, pool: WorkerPool | None = None
) -> Iterator[list[Encoded]]:
    """Encoded results chunk by chunk, in input order.

    With ``n_process`` 1 the chunks run here on ``nlp`` (loaded from ``options.model`` if None);
    otherwise on ``pool``, or on a pool made for this call (forked from ``nlp`` where safe).
    """
    chunks = chunked(items, options.batch_size)
    if options.n_process <= 1:
        nlp = nlp or load_model(options.model, options.max_bytes)
        info = pipeline_info(nlp)
        for chunk in chunks:
            yield _encoded_chunk(nlp, info, options, chunk)
    elif pool is not None:
        yield from pool.annotate(chunks)
    else:
        with WorkerPool(options, nlp) as own:
            yield from own.annotate(chunks)


class WorkerPool:
    """``options.n_process`` worker processes; use as a context manager, or call :meth:`close`."""

    def __init__(self, options: BatchOptions, nlp: Language | None = None) -> None:
        self.options = options
        self.forked = nlp is not None and can_fork()
        if self.forked:
            _WORKER.update(nlp=nlp, pipeline=pipeline_info(nlp), options=options)
            self.pool = ProcessPoolExecutor(
                max_workers=options.n_process, mp_context=multiprocessing.get_context("fork")
            )
            self.pool.submit(_ready).result()  # fork every worker now, while this is the only thread
        else:
            self.pool = self._spawned()

    def _spawned(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.options.n_process,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_spawned,
            initargs=(self.options,),
        )

    def annotate(self, chunks: Iterator[list[Item]]) -> Iterator[list[Encoded]]:
        """Encoded results chunk by chunk, in input order; at most 2 chunks per worker in flight."""
        window: Window = deque()
        for chunk in chunks:
            try:
                window.append((chunk, self.pool.submit(_work, chunk)))
            except BrokenProcessPool:
                self._recover(window)
                window.append((chunk, self.pool.submit(_work, chunk)))
            yield from self._drain(window, keep=2 * self.options.n_process - 1)
        yield from self._drain(window, keep=0)

    def _drain(self, window: Window, keep: int) -> Iterator[list[Encoded]]:
        """Results of the oldest chunks until ``keep`` are left in flight (a broken pool is recovered)."""
        while len(window) > keep:
            if _broke(window[0][1]):
                self._recover(window)
            yield _collect(*window.popleft())

    def _recover(self, window: Window) -> None:
        """After a worker died: a new, spawned pool, and every chunk the break failed run again alone.

        A broken pool fails every chunk in flight, not only the one that killed its worker, so
        each of them runs again by itself: one that kills its worker again keeps its ``worker``
        errors, the others (and one whose worker was killed from outside) get their results.
        """
        wait([future for _, future in window])
        self._replace_pool()
        for i, (chunk, future) in enumerate(window):
            if not _broke(future):
                continue
            rerun = self.pool.submit(_work, chunk)
            if _broke(rerun):
                self._replace_pool()
            window[i] = (chunk, rerun)

    def _replace_pool(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._spawned()

    def close(self) -> None:
        """Stop the workers (waiting for the ones still running)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.forked:
            _WORKER.clear()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _broke(future: Future[list[Encoded]]) -> bool:
    """Wait for ``future``; True when its worker died (the pool broke) before it finished."""
    return isinstance(future.exception(), BrokenProcessPool)


def _collect(chunk: list[Item], future: Future[list[Encoded]]) -> list[Encoded]:
    """The chunk's results, or one ``worker`` error per item when its process failed."""
    try:
        return future.result()
    except Exception as exc:
        reason = f"worker process failed ({type(exc).__name__})"
        return encode_results([("error", error_line(item.id, item.source, reason, "worker")) for item in chunk])
