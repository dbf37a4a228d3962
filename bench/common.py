"""Shared helpers of the benchmark scripts: corpora, pipelines, timing, memory and tables.

Nothing here prints document text: scripts report counts, seconds and megabytes only.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
LETTERS = ROOT / "examples" / "letters"
MTSAMPLES = SHARED / "data" / "mtsamples" / "mtsamples.csv"
BENCH_VENVS = ROOT / "build" / "bench-venvs"

#: Large enough for any letter stream the scripts build (spaCy's default is 1,000,000 characters).
MAX_LENGTH = 50_000_000


def letter_pdfs() -> list[Path]:
    """The 72 real letters, in file-name order."""
    return sorted(LETTERS.glob("*.pdf"))


def load_letters() -> list[str]:
    """Text layers of the real letters (read with the project's reader)."""
    from imr_spacy.pdf_reader import read_pdf

    return [read_pdf(p) for p in letter_pdfs()]


def load_mtsamples(path: Path = MTSAMPLES) -> list[str]:
    """The MTSamples notes (column 0 of the CSV, header skipped)."""
    csv.field_size_limit(sys.maxsize)
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return [r[0] for r in rows[1:] if r and r[0].strip()]


def load_corpus(name: str) -> list[str]:
    """``mtsamples`` or ``letters``."""
    if name == "mtsamples":
        return load_mtsamples()
    if name == "letters":
        return load_letters()
    raise ValueError(f"unknown corpus {name!r}")


def count_words(texts: Iterable[str]) -> int:
    """Whitespace-separated words: the same yardstick for every pipeline."""
    return sum(len(t.split()) for t in texts)


def assemble(patterns: Path = ROOT / "patterns") -> Any:
    """The rules-only pipeline as ``spacy assemble configs/pipeline.cfg`` builds it."""
    import spacy

    config = spacy.util.load_config(ROOT / "configs" / "pipeline.cfg", overrides={"paths.patterns": str(patterns)})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    nlp.initialize()
    return nlp


def load_pipeline(model: str | None = None) -> Any:
    """``model`` (a path or package) or, when None, the pipeline assembled from the working tree."""
    import spacy

    nlp = assemble() if model is None else spacy.load(model)
    nlp.max_length = max(nlp.max_length, MAX_LENGTH)
    return nlp


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int | None = None) -> float:
    """Current resident memory of ``pid`` (default: this process) in MB."""
    import psutil

    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


@dataclass
class Timing:
    """Best wall-clock and CPU seconds over the repeats."""

    wall: float
    cpu: float


def best_of(fn: Callable[[], Any], repeat: int = 3) -> Timing:
    """Run ``fn`` ``repeat`` times; the fastest wall and CPU (this process) times."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return Timing(min(walls), min(cpus))


@dataclass
class RssSampler:
    """Samples the memory of ``pid`` (default: this process) and its children every ``interval`` seconds.

    ``pss=True`` sums proportional set sizes instead of RSS, so pages that forked workers share with
    their parent are not counted twice.
    """

    interval: float = 0.5
    pid: int | None = None
    pss: bool = False
    samples: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = time.perf_counter()

    def _run(self) -> None:
        import psutil

        proc = psutil.Process(self.pid or os.getpid())

        def size(p: psutil.Process) -> int:
            return p.memory_full_info().pss if self.pss else p.memory_info().rss

        while not self._stop.is_set():
            try:
                rss = size(proc)
                for child in proc.children(recursive=True):
                    try:
                        rss += size(child)
                    except psutil.Error:
                        continue
            except psutil.Error:
                break
            self.samples.append((time.perf_counter() - self.t0, rss / 2**20))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_load() -> str:
    """The 1-minute load average against the core count (benchmarks on a busy machine mislead)."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def run_json_child(cmd: Sequence[str], payload: Any, timeout: float = 3600) -> dict[str, Any]:
    """Run ``cmd`` with ``payload`` as JSON on stdin; parse the last stdout line as JSON.

    The child's stderr is dropped unless it fails (then only its last line, which the child
    scripts keep free of document text).
    """
    proc = subprocess.run(
        list(cmd),
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"{Path(cmd[0]).name} child failed ({proc.returncode}): {last[:200]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A plain aligned text table (markdown-compatible)."""
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("| " + " | ".join(c.rjust(w) if n else c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return "-" if value is None else str(value)
