"""Throughput of the IMR pipeline against a tokenizer-only ceiling, negspacy and medspaCy.

    .venv/bin/python bench/throughput.py                      # both corpora, every pipeline
    .venv/bin/python bench/throughput.py --corpus mtsamples --model build/en_imr_pipeline
    .venv/bin/python bench/throughput.py --no-medspacy --repeat 5
    .venv/bin/python bench/throughput.py --profile            # cProfile hot spots per component

Each pipeline runs in its own child process (best of ``--repeat`` ``nlp.pipe`` passes; texts are
sent on stdin), so its peak RSS is its own. medspaCy needs spaCy < 3.8 and runs from its own
virtual environment ``build/bench-venvs/medspacy`` (created with ``pip install medspacy`` when
missing). Words are whitespace-separated words of the input, the same for every pipeline.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import (
    BENCH_VENVS,
    MAX_LENGTH,
    ROOT,
    best_of,
    count_words,
    cpu_load,
    load_corpus,
    load_pipeline,
    peak_rss_mb,
    print_table,
    run_json_child,
)

#: Terms for the negspacy baseline's entity ruler (a small clinical vocabulary).
NEGSPACY_TERMS = {
    "PROBLEM": [
        "pain",
        "neck pain",
        "back pain",
        "low back pain",
        "chest pain",
        "fever",
        "nausea",
        "vomiting",
        "headache",
        "swelling",
        "tenderness",
        "spasm",
        "numbness",
        "weakness",
        "fracture",
        "hypertension",
        "diabetes",
        "stenosis",
        "radiculopathy",
        "carpal tunnel syndrome",
        "shortness of breath",
        "infection",
        "edema",
        "depression",
        "anxiety",
        "cough",
        "rash",
        "bleeding",
        "tear",
        "sprain",
        "strain",
    ],
    "TREATMENT": [
        "physical therapy",
        "acupuncture",
        "chiropractic",
        "MRI",
        "x-ray",
        "surgery",
        "injection",
        "epidural steroid injection",
        "Norco",
        "tramadol",
        "ibuprofen",
        "naproxen",
        "gabapentin",
        "home exercise program",
        "TENS unit",
        "CT scan",
        "EMG",
        "massage",
    ],
}

MEDSPACY_CHILD = r"""
import json, resource, sys, time
payload = json.load(sys.stdin)
texts, repeat = payload["texts"], payload["repeat"]
t0 = time.perf_counter()
import medspacy
nlp = medspacy.load()
nlp.max_length = 50_000_000
load = time.perf_counter() - t0
walls, cpus = [], []
for _ in range(repeat):
    w0, c0 = time.perf_counter(), time.process_time()
    for _doc in nlp.pipe(texts):
        pass
    walls.append(time.perf_counter() - w0)
    cpus.append(time.process_time() - c0)
import spacy
print(json.dumps({"wall": min(walls), "cpu": min(cpus), "load_s": load,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pipes": nlp.pipe_names, "versions": {"spacy": spacy.__version__, "medspacy": medspacy.__version__}}))
"""


def build_negspacy() -> Any:
    """blank English + sentencizer + entity ruler (NEGSPACY_TERMS) + negspacy's Negex."""
    import spacy
    from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)
    from negspacy.termsets import termset

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns([{"label": label, "pattern": t} for label, terms in NEGSPACY_TERMS.items() for t in terms])
    nlp.add_pipe("negex", config={"neg_termset": termset("en_clinical").get_patterns()})
    return nlp


def build(config: str, model: str | None) -> Any:
    """The pipeline of one benchmark row."""
    import spacy

    if config == "blank":
        nlp = spacy.blank("en")
    elif config == "imr-tokenizer":
        nlp = load_pipeline(model)
        nlp = _tokenizer_only(nlp)
    elif config in ("project", "model"):
        nlp = load_pipeline(model if config == "model" else None)
    elif config == "negspacy":
        nlp = build_negspacy()
    else:
        raise ValueError(config)
    nlp.max_length = MAX_LENGTH
    return nlp


def _tokenizer_only(nlp: Any) -> Any:
    for name in list(nlp.pipe_names):
        nlp.remove_pipe(name)
    return nlp


def component_times(nlp: Any, texts: list[str], repeat: int) -> dict[str, dict[str, float]]:
    """Best wall/CPU seconds of the tokenizer and of each pipe, run one after the other over all docs."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        stages: list[tuple[str, Any]] = [("tokenizer", None), *nlp.pipeline]
        docs: list[Any] = list(texts)
        for name, proc in stages:
            w0, c0 = time.perf_counter(), time.process_time()
            if proc is None:
                docs = [nlp.make_doc(t) for t in docs]
            elif hasattr(proc, "pipe"):
                docs = list(proc.pipe(docs))
            else:
                docs = [proc(d) for d in docs]
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            prev = best.get(name)
            if prev is None or cpu < prev["cpu"]:
                best[name] = {"wall": wall, "cpu": cpu}
    return best


def child(config: str, model: str | None, repeat: int) -> None:
    """Child mode: texts on stdin, one JSON line of results on stdout."""
    texts = json.load(sys.stdin)["texts"]
    t0 = time.perf_counter()
    nlp = build(config, model)
    load = time.perf_counter() - t0

    def run() -> None:
        for _doc in nlp.pipe(texts):
            pass

    timing = best_of(run, repeat)
    out: dict[str, Any] = {"wall": timing.wall, "cpu": timing.cpu, "load_s": load, "pipes": nlp.pipe_names}
    if config in ("project", "model"):
        out["components"] = component_times(nlp, texts, repeat)
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def medspacy_python(create: bool = True) -> Path:
    """The medspaCy venv's python, created with ``python3 -m venv`` + ``pip install medspacy`` if missing."""
    venv = BENCH_VENVS / "medspacy"
    python = venv / "bin" / "python"
    ok = python.exists() and subprocess.run([python, "-c", "import medspacy"], capture_output=True).returncode == 0
    if not ok:
        if not create:
            raise RuntimeError(f"no medspaCy venv at {venv}")
        base = shutil.which("python3") or sys.executable
        print(f"creating {venv} (pip install medspacy) ...", file=sys.stderr)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "medspacy"], check=True)
    return python


def measure(corpus: str, texts: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """One result dict per pipeline on ``texts``."""
    rows: list[tuple[str, list[str]]] = [
        ("spaCy blank('en') tokenizer only", ["blank"]),
        ("IMR tokenizer only", ["imr-tokenizer"]),
        ("IMR rules-only pipeline", ["project"]),
    ]
    if args.model:
        rows.append((f"--model {Path(args.model).name}", ["model", "--model", args.model]))
    if not args.no_negspacy:
        rows.append(("negspacy (sentencizer+ruler+negex)", ["negspacy"]))
    results = []
    payload = {"texts": texts, "repeat": args.repeat}
    for label, child_args in rows:
        cmd = [sys.executable, str(Path(__file__)), "--child", *child_args, "--repeat", str(args.repeat)]
        res = run_json_child(cmd, payload)
        results.append({"corpus": corpus, "pipeline": label, **res})
    if not args.no_medspacy:
        res = run_json_child([str(medspacy_python()), "-c", MEDSPACY_CHILD], payload)
        results.append({"corpus": corpus, "pipeline": "medspaCy default (medspacy.load())", **res})
    words, docs = count_words(texts), len(texts)
    for r in results:
        r.update(
            words=words, docs=docs, words_s=words / r["wall"], docs_s=docs / r["wall"], cpu_words_s=words / r["cpu"]
        )
    return results


def report(results: list[dict[str, Any]]) -> None:
    """The table, component shares and the targets."""
    rows = []
    for corpus in dict.fromkeys(r["corpus"] for r in results):
        group = [r for r in results if r["corpus"] == corpus]
        ceiling = group[0]
        for r in group:
            rows.append(
                [
                    corpus,
                    r["pipeline"],
                    r["docs_s"],
                    r["words_s"],
                    r["cpu_words_s"],
                    r["words_s"] / ceiling["words_s"],
                    r["cpu_words_s"] / ceiling["cpu_words_s"],
                    r["peak_rss_mb"],
                ]
            )
    print_table(["corpus", "pipeline", "docs/s", "words/s", "words/CPU-s", "x tok", "x tok (CPU)", "peak RSS MB"], rows)
    for r in results:
        if "components" in r:
            total = sum(c["cpu"] for c in r["components"].values())
            shares = ", ".join(f"{n} {100 * c['cpu'] / total:.0f}%" for n, c in r["components"].items())
            print(f"\n{r['corpus']} / {r['pipeline']}: CPU share per stage ({total:.2f} s): {shares}")
    print()
    for corpus in dict.fromkeys(r["corpus"] for r in results):
        group = {r["pipeline"]: r for r in results if r["corpus"] == corpus}
        ours = group["IMR rules-only pipeline"]
        tok = group["spaCy blank('en') tokenizer only"]
        print(
            f"{corpus}: rules-only / tokenizer-only = {ours['words_s'] / tok['words_s']:.2f} wall, "
            f"{ours['cpu_words_s'] / tok['cpu_words_s']:.2f} CPU (target >= 0.40)"
        )
        med = group.get("medspaCy default (medspacy.load())")
        if med:
            print(
                f"{corpus}: rules-only / medspaCy = {ours['words_s'] / med['words_s']:.1f} wall, "
                f"{ours['cpu_words_s'] / med['cpu_words_s']:.1f} CPU (target >= 10)"
            )


def profile(corpus: str, texts: list[str], top: int) -> None:
    """cProfile of each stage of the rules-only pipeline over ``texts``; top functions by own time."""
    nlp = load_pipeline(None)
    stages: list[tuple[str, Any]] = [("tokenizer", None), *nlp.pipeline]
    docs: list[Any] = list(texts)
    print(f"cProfile over {corpus} ({len(texts)} docs), top {top} functions by own time per stage")
    for name, proc in stages:
        prof = cProfile.Profile()
        prof.enable()
        docs = [nlp.make_doc(t) for t in docs] if proc is None else [proc(d) for d in docs]
        prof.disable()
        stats = pstats.Stats(prof)
        total = stats.total_tt  # type: ignore[attr-defined]
        print(f"\n## {name}: {total:.2f} s")
        entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
        for (file, line, func), (_cc, ncalls, tottime, cumtime, _callers) in entries:
            where = _short(file)
            print(f"  {tottime:7.3f} s own {cumtime:7.3f} s cum {ncalls:>9} calls  {where}:{line}({func})")


def _short(file: str) -> str:
    path = Path(file)
    for base in (ROOT / "pipeline", Path(sys.prefix)):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return file if file.startswith("~") else path.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=["mtsamples", "letters", "both"], default="both")
    parser.add_argument("--model", help="also time this pipeline (a path or an installed package)")
    parser.add_argument("--repeat", type=int, default=3, help="passes per pipeline; the best counts")
    parser.add_argument("--no-medspacy", action="store_true")
    parser.add_argument("--no-negspacy", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the rules-only pipeline per stage")
    parser.add_argument("--top", type=int, default=8, help="functions per stage with --profile")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", choices=["blank", "imr-tokenizer", "project", "model", "negspacy"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model, args.repeat)
        return
    corpora = ["mtsamples", "letters"] if args.corpus == "both" else [args.corpus]
    print(f"# throughput ({cpu_load()})")
    if args.profile:
        for corpus in corpora:
            profile(corpus, load_corpus(corpus), args.top)
        return
    results = []
    for corpus in corpora:
        results.extend(measure(corpus, load_corpus(corpus), args))
    report(results)
    print(f"\n({cpu_load()} at the end)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
