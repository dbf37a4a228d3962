"""Scaling: two processes against one, memory over a long stream, and the 72 PDFs end to end.

    .venv/bin/python bench/scale.py                  # everything, a 100,000-letter stream
    .venv/bin/python bench/scale.py --n 5000         # a shorter stream
    .venv/bin/python bench/scale.py --only nproc,pdfs --model build/en_imr_pipeline

Parts (``--only``, comma-separated):

- ``nproc``: ``nlp.pipe`` with ``n_process`` 1 and 2 over the letters repeated ``--copies`` times
  (target: >= 1.7x on 2 cores);
- ``nproc-cli``: ``imr annotate --no-text`` with ``-n`` 1 and 2 on the letters repeated ``--cli-copies``
  times as JSONL: process start to exit, and the batch rate the command reports (the batch path; same
  target);
- ``stream``: ``--n`` letter texts from a generator through ``nlp.pipe``, RSS sampled over time
  (target: growth < 50 MB after warm-up). Each text is a real letter with its digits rewritten per
  document, so new strings (dates, numbers) keep arriving as in a real stream;
- ``cli``: the same stream as a JSONL file through ``imr annotate --no-text``, the RSS of the command
  and its workers sampled as PSS (same target; the first 10% of the run is warm-up);
- ``pdfs``: the 72 PDFs end to end, reading included: in-process (1 and 2 processes) and
  ``imr annotate -n 2`` (target: < 10 s on 2 cores).

Only counts, seconds and megabytes are printed; the JSONL written for ``cli`` is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from common import (
    LETTERS,
    RssSampler,
    best_of,
    count_words,
    cpu_load,
    letter_pdfs,
    load_letters,
    load_pipeline,
    print_table,
    rss_mb,
)


def stream(letters: list[str], n: int) -> Iterator[str]:
    """``n`` letters, cycling through ``letters``, each with its digits shifted by the document number."""
    for i in range(n):
        text = letters[i % len(letters)]
        shift = i // len(letters)
        table = str.maketrans("0123456789", "".join(str((d + shift) % 10) for d in range(10)))
        yield text.translate(table) if shift else text


def _speedup_rows(time_of: Callable[[int, int], float], docs: int, words: int) -> list[list[Any]]:
    """End-to-end seconds for ``docs`` and ``2 * docs`` documents with 1 and 2 processes, and the
    steady-state rate ``docs / (T(2 * docs) - T(docs))``, which leaves out the start-up (spawning
    workers, loading the model) that a long batch pays once."""
    rows = []
    for n in (1, 2):
        t1, t2 = time_of(n, 1), time_of(n, 2)
        steady = docs / max(t2 - t1, 1e-9)
        rows.append([n, 2 * docs, t2, 2 * docs / t2, steady, steady * words / docs])
    for row in rows:
        row += [row[3] / rows[0][3], row[4] / rows[0][4]]
    return rows


_HEADERS = ["n_process", "docs", "seconds", "docs/s", "steady docs/s", "steady words/s", "speed-up", "steady speed-up"]


def nproc(nlp: Any, letters: list[str], copies: int, repeat: int) -> None:
    """``nlp.pipe`` with ``n_process`` 1 and 2 (spaCy ships each Doc back with ``Doc.to_bytes``)."""
    texts = letters * copies
    for _doc in nlp.pipe(texts):  # warm caches (lexemes, the ICD-10 index) before timing
        pass

    def time_of(n: int, k: int) -> float:
        return best_of(lambda: [None for _doc in nlp.pipe(texts * k, n_process=n, batch_size=16)], repeat).wall

    rows = _speedup_rows(time_of, len(texts), count_words(texts))
    print(f"\n## nlp.pipe n_process ({cpu_load()})")
    print_table(_HEADERS, rows)
    print(f"speed-up 2 vs 1: {rows[1][-2]:.2f}x end to end, {rows[1][-1]:.2f}x steady (target >= 1.7x)")


def _write_letters(path: Path, texts: Iterable[str]) -> None:
    """``texts`` as a JSONL input of ``imr annotate`` (ids ``doc0``, ``doc1``, ...)."""
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            fh.write(json.dumps({"id": f"doc{i}", "text": text}) + "\n")


def _annotate_cmd(src: Path, out: Path, model: Path, n_process: int, *extra: str) -> list[str]:
    """The ``imr annotate`` command line of a benchmark run (no progress bar)."""
    imr = Path(sys.executable).with_name("imr")
    args = [imr, "annotate", src, "-o", out, "--model", model, "--no-progress", "-n", n_process, *extra]
    return [str(a) for a in args]


_RATE = re.compile(r"; ([0-9.]+) s \(([0-9.]+) docs/s\)")


def nproc_cli(model: Path, letters: list[str], copies: int, repeat: int) -> None:
    """``imr annotate --no-text`` with 1 and 2 processes on the letters as JSONL.

    Two figures per run: process start to exit, and the rate ``imr annotate`` reports itself (from
    the first document on, worker start-up included, the parent's own import and model load not).
    This is the batch path: workers return finished JSONL lines, not Docs, so the parent's share stays small
    (``nlp.pipe(n_process=2)`` ships every Doc back as ``Doc.to_bytes`` and rebuilds it in the parent).
    """
    texts = letters * copies
    words = count_words(texts)
    rows = []
    with tempfile.TemporaryDirectory(prefix="imr-scale-") as tmp:
        src = Path(tmp) / "letters.jsonl"
        _write_letters(src, texts)
        for n in (1, 2):
            out = Path(tmp) / "out.jsonl"
            cmd = _annotate_cmd(src, out, model, n, "--no-text")
            best: tuple[float, float] | None = None
            for _ in range(repeat):
                out.unlink(missing_ok=True)
                t0 = time.perf_counter()
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                wall = time.perf_counter() - t0
                found = _RATE.search(done.stdout + done.stderr)  # the summary goes to stderr
                batch = float(found.group(1)) if found else float("nan")
                if best is None or wall < best[0]:
                    best = (wall, batch)
            assert best is not None
            rows.append([n, len(texts), best[0], len(texts) / best[0], best[1], words / best[1]])
    for row in rows:
        row += [rows[0][2] / row[2], rows[0][4] / row[4]]
    print(f"\n## imr annotate -n 1 vs -n 2 ({cpu_load()})")
    headers = ["n_process", "docs", "seconds", "docs/s", "batch seconds", "batch words/s", "speed-up", "batch speed-up"]
    print_table(headers, rows)
    print(f"speed-up 2 vs 1: {rows[1][-2]:.2f}x end to end, {rows[1][-1]:.2f}x batch (target >= 1.7x)")


def report_rss(name: str, samples: list[tuple[float, float]], docs: int, seconds: float, warm: float) -> None:
    """RSS at 10% steps of the run; growth = max after warm-up minus RSS at the warm-up mark."""
    if not samples:
        print(f"{name}: no RSS samples")
        return
    end = samples[-1][0]
    rows = []
    for k in range(11):
        t = end * k / 10
        rss = min(samples, key=lambda s: abs(s[0] - t))[1]
        rows.append([f"{10 * k}%", t, rss])
    start = next((r for t, r in samples if t >= warm), samples[0][1])
    peak = max(r for t, r in samples if t >= warm) if any(t >= warm for t, _ in samples) else start
    print_table(["progress", "seconds", "RSS MB"], rows)
    print(
        f"{name}: {docs} docs in {seconds:.0f} s ({docs / seconds:.0f} docs/s); RSS after warm-up "
        f"{start:.0f} MB, peak {peak:.0f} MB, growth {peak - start:.0f} MB (target < 50 MB)"
    )


def stream_pipe(nlp: object, letters: list[str], n: int) -> None:
    print(f"\n## stream of {n} letters through nlp.pipe ({cpu_load()})")
    warm_docs = max(1, n // 50)
    warm_at = 0.0
    t0 = time.perf_counter()
    with RssSampler(interval=0.5) as sampler:
        for i, _doc in enumerate(nlp.pipe(stream(letters, n), batch_size=64)):  # type: ignore[attr-defined]
            if i + 1 == warm_docs:
                warm_at = time.perf_counter() - sampler.t0
    report_rss("nlp.pipe", sampler.samples, n, time.perf_counter() - t0, warm_at)


def stream_cli(model: Path, letters: list[str], n: int, n_process: int) -> None:
    print(f"\n## stream of {n} letters through imr annotate --no-text -n {n_process} ({cpu_load()})")
    with tempfile.TemporaryDirectory(prefix="imr-scale-") as tmp:
        src = Path(tmp) / "stream.jsonl"
        _write_letters(src, stream(letters, n))
        cmd = _annotate_cmd(src, Path(tmp) / "out.jsonl", model, n_process, "--no-text")
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with RssSampler(interval=0.5, pid=proc.pid, pss=True) as sampler:
            code = proc.wait()
        seconds = time.perf_counter() - t0
    if code != 0:
        print(f"imr annotate exited {code}")
    # no per-document progress from outside: the first 10% of the run (model load, workers start) is warm-up
    report_rss("imr annotate (PSS, command + workers)", sampler.samples[:-1], n, seconds, seconds / 10)


def _read(path: Path) -> str:
    from imr_spacy.pdf_reader import read_pdf

    return read_pdf(path)


def pdfs_end_to_end(model: str | None, model_dir: Path, repeat: int) -> None:
    pdfs = letter_pdfs()
    print(f"\n## {len(pdfs)} PDFs end to end ({cpu_load()})")
    rows = []
    for n in (1, 2):

        def run(n: int = n) -> None:
            nlp = load_pipeline(model)
            if n == 1:
                texts = [_read(p) for p in pdfs]
            else:
                with multiprocessing.get_context("fork").Pool(n) as pool:
                    texts = pool.map(_read, pdfs, chunksize=4)
            for _doc in nlp.pipe(texts, n_process=n, batch_size=8):
                pass

        t = best_of(run, repeat)
        rows.append([f"in-process, n_process={n} (load + read + annotate)", t.wall])
    with tempfile.TemporaryDirectory(prefix="imr-scale-") as tmp:
        cmd = _annotate_cmd(LETTERS, Path(tmp) / "out.jsonl", model_dir, 2)

        def cli() -> None:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        rows.append(["imr annotate -n 2 (process start to exit)", best_of(cli, repeat).wall])
    print_table(["run", "seconds"], rows)
    print("target: < 10 s on 2 cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="nproc,nproc-cli,stream,cli,pdfs")
    parser.add_argument("--n", type=int, default=100_000, help="letters in the stream")
    parser.add_argument("--copies", type=int, default=4, help="copies of the 72 letters for nproc")
    parser.add_argument("--cli-copies", type=int, default=20, help="copies of the 72 letters for nproc-cli")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cli-n-process", type=int, default=2)
    parser.add_argument("--model", help="a packaged/trained pipeline (default: assembled from the work tree)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print(f"# scale ({cpu_load()}); RSS at start {rss_mb():.0f} MB")
    letters = load_letters()
    nlp = load_pipeline(args.model)
    with tempfile.TemporaryDirectory(prefix="imr-model-") as tmp:
        model_dir = Path(args.model) if args.model and Path(args.model).exists() else Path(tmp) / "model"
        if not (args.model and Path(args.model).exists()):
            nlp.to_disk(model_dir)
        if "nproc" in parts:
            nproc(nlp, letters, args.copies, args.repeat)
        if "nproc-cli" in parts:
            nproc_cli(model_dir, letters, args.cli_copies, args.repeat)
        if "stream" in parts:
            stream_pipe(nlp, letters, args.n)
        if "cli" in parts:
            stream_cli(model_dir, letters, args.n, args.cli_n_process)
        if "pdfs" in parts:
            pdfs_end_to_end(args.model, model_dir, args.repeat)


if __name__ == "__main__":
    main()
