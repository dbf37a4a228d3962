"""Negation and ConText benchmark: the project's ``context`` component against its peers, in one run.

    .venv/bin/python bench/negation.py [--model DIR] [--skip-medspacy] [--setup-medspacy]

Rows (development halves, ``../shared/data/negex``):

- ``imr_context``: the assembled pipeline (``--model``, else ``configs/pipeline.cfg`` assembled into
  a temporary folder) scored by ``score.py negex`` in a subprocess, so the numbers are the official ones;
- ``imr_context + spaCy sentencizer`` / ``+ pysbd``: the same component on Docs split beforehand by
  spaCy's ``sentencizer`` or scispaCy's ``pysbd_sentencizer`` (the component's own splitter otherwise);
- ``negspacy en_clinical`` / ``negspacy en``: blank English + ``sentencizer`` + negspacy's ``negex``;
- ``medspaCy ConText``: ``medspacy_pyrush`` + ``medspacy_context``, run in its own virtual environment
  (``build/bench-venvs/medspacy``; medspaCy needs spaCy < 3.8) by this same file in ``--worker`` mode.

Every system goes through ``score.py``'s ``run_negex`` (the concept preset as the only entity), so
rows, matching and metrics are identical; sentences/second times the component calls only (wall
clock, as score.py prints it; "CPU sent/s" counts process CPU time, which a busy machine does not skew).

A second table compares the three sentence splitters: boundary P/R/F1 on synthetic PDF-wrapped text
(new sentences, wrapped at 90 columns with blank lines inside sentences, as PDF extraction does),
negation accuracy on the seed letter (gold spans preset), and error proxies on the real letters.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCORE = SHARED / "tools" / "score.py"
NEGEX = SHARED / "data" / "negex" / "negex_dev.tsv"
CONTEXT = SHARED / "data" / "negex" / "context_dev.tsv"
SEED = SHARED / "gold" / "seed.jsonl"
LETTERS = ROOT / "examples" / "letters"
MEDSPACY_VENV = ROOT / "build" / "bench-venvs" / "medspacy"
FLAGS = ("is_negated", "is_historical", "is_hypothetical", "is_family", "is_uncertain")


def load_score() -> ModuleType:
    """``score.py`` as a module (its ``run_negex`` scores every system)."""
    spec = importlib.util.spec_from_file_location("imr_score", SCORE)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def as_scored(make_doc: Any, run: Any) -> SimpleNamespace:
    """An object ``run_negex`` accepts: ``make_doc`` and a "context" pipe that runs ``run``.

    ``cpu`` accumulates the process CPU seconds of the pipe calls (robust on a busy machine).
    """
    system = SimpleNamespace(pipe_names=["context"], make_doc=make_doc, cpu=0.0)

    def timed(doc: Any) -> Any:
        t0 = time.process_time()
        doc = run(doc)
        system.cpu += time.process_time() - t0
        return doc

    system.get_pipe = lambda name: timed
    return system


def score_both(score: ModuleType, system: SimpleNamespace) -> dict[str, Any]:
    """Both development files through ``run_negex``; ``cpu_sentences_per_second`` on negex_dev."""
    out = {"negex": score.run_negex(system, str(NEGEX))}
    rows = out["negex"]["negation"]["total"]
    out["negex"]["negation"]["cpu_sentences_per_second"] = round(rows / system.cpu) if system.cpu else None
    out["context"] = score.run_negex(system, str(CONTEXT))
    return out


# --- peers -------------------------------------------------------------------------------------


def negspacy_system(termset_name: str) -> SimpleNamespace:
    """Blank English + sentencizer + negspacy's Negex with one of its termsets."""
    import negspacy.negation  # noqa: F401  (registers the "negex" factory)
    import spacy
    from negspacy.termsets import termset
    from spacy.tokens import Span

    for name in FLAGS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=False)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("negex", config={"neg_termset": termset(termset_name).get_patterns()})
    procs = [proc for _, proc in nlp.pipeline]

    def run(doc: Any) -> Any:
        for proc in procs:
            doc = proc(doc)
        for ent in doc.ents:
            ent._.is_negated = ent._.negex
        return doc

    return as_scored(nlp.make_doc, run)


def medspacy_worker() -> None:
    """``--worker``: runs inside the medspaCy venv; prints the scores of medspaCy ConText as JSON."""
    import medspacy
    from loguru import logger

    logger.remove()  # PyRuSH logs every sentence at DEBUG level
    nlp = medspacy.load()
    procs = [nlp.get_pipe(name) for name in ("medspacy_pyrush", "medspacy_context")]

    def run(doc: Any) -> Any:
        for proc in procs:
            doc = proc(doc)
        return doc

    print(json.dumps(score_both(load_score(), as_scored(nlp.make_doc, run))))


def medspacy_scores(setup: bool) -> dict[str, Any] | None:
    python = MEDSPACY_VENV / "bin" / "python"
    if not python.exists():
        if not setup:
            print(f"medspaCy: no venv at {MEDSPACY_VENV} (run with --setup-medspacy)", file=sys.stderr)
            return None
        subprocess.run(["python3", "-m", "venv", str(MEDSPACY_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "medspacy"], check=True)
    done = subprocess.run([str(python), __file__, "--worker"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the project's component -------------------------------------------------------------------


def assemble(model: str | None) -> str:
    if model:
        return model
    out = Path(tempfile.mkdtemp(prefix="imr-bench-")) / "model"
    cmd = [sys.executable, "-m", "spacy", "assemble", str(ROOT / "configs" / "pipeline.cfg"), str(out)]
    subprocess.run([*cmd, "--paths.patterns", str(ROOT / "patterns")], check=True, capture_output=True)
    return str(out)


def official_scores(model: str) -> dict[str, Any]:
    """``score.py --model MODEL negex FILE`` for both files, as the project reports them."""
    out = {}
    for key, path in (("negex", NEGEX), ("context", CONTEXT)):
        cmd = [sys.executable, str(SCORE), "--model", model, "negex", str(path)]
        out[key] = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    return out


def splitters() -> dict[str, Any]:
    """name -> a callable that sets sentence starts on a Doc (``own``: the component splits itself)."""
    import spacy
    from scispacy.custom_sentence_segmenter import pysbd_sentencizer

    blank = spacy.blank("en")
    return {"own": None, "spaCy sentencizer": blank.add_pipe("sentencizer"), "pysbd": pysbd_sentencizer}


def with_splitter(nlp: Any, split: Any) -> SimpleNamespace:
    context = nlp.get_pipe("context")
    return as_scored(nlp.make_doc, context if split is None else (lambda doc: context(split(doc))))


# --- sentence quality --------------------------------------------------------------------------

#: Synthetic paragraphs in the genre (new sentences): each a list of sentences, wrapped below.
PARAGRAPHS: list[list[str]] = [
    [
        "The injured worker is a 52 year old carpenter who hurt his left knee on 03/14/2015.",
        "He was seen by Dr. Alvarez on 04/02/2015, who prescribed Naproxen 550 mg b.i.d. and ice.",
        "Per the note, the pain was rated 7/10 vs. 4/10 at the prior visit.",
        "The diagnoses were:",
        "1. Left knee sprain.",
        "2. Medial meniscus tear.",
        "3. Chronic pain syndrome.",
        "An MRI dated 05/01/2015 showed a small effusion, e.g. fluid in the suprapatellar pouch.",
    ],
    [
        "Treatment to date has included physical therapy, a home exercise program and Tramadol 50 mg q.d.",
        "There is no documentation of objective functional improvement after the first 12 visits.",
        "The provider did not describe the patient's response to the prior injections.",
        "The request for Form No. 2 was received on 06/10/2015.",
    ],
    [
        "According to the guidelines, up to 10 visits are recommended for myalgia and myositis.",
        "Additional sessions may be reasonable if the patient shows measurable gains in function.",
        "In this case, the claimant has completed 24 sessions without documented improvement.",
        "Therefore, the request is not medically necessary.",
    ],
]
TITLES = ["CLINICAL CASE SUMMARY", "IMR ISSUES, DECISIONS AND RATIONALES"]
ITEMS = ["Physical therapy for the left knee x 8: Upheld", "MRI of the lumbar spine: Overturned"]


def synthetic_text() -> tuple[str, list[int]]:
    """PDF-like text (90-column lines, a blank line inside some sentences) and its sentence starts."""
    parts: list[str] = []
    starts: list[int] = []
    pos = 0

    def emit(chunk: str, start: bool) -> None:
        nonlocal pos
        if start:
            starts.append(pos + len(chunk) - len(chunk.lstrip()))
        parts.append(chunk)
        pos += len(chunk)

    for k, para in enumerate(PARAGRAPHS):
        emit(TITLES[k % len(TITLES)] + " \n", True)
        column = 0
        for s, sentence in enumerate(para):
            words = sentence.split()
            first = True
            for w, word in enumerate(words):
                sep = "" if column == 0 else " "
                if column + len(sep) + len(word) > 90:
                    blank = (s + w) % 5 == 0
                    emit(" \n\n" if blank else " \n", False)
                    column, sep = 0, ""
                emit(sep + word, first)
                first = False
                column += len(sep) + len(word)
            if not sentence.endswith(":"):
                emit(" ", False)
                column += 1
        emit(" \n \n", False)
        emit(ITEMS[k % len(ITEMS)] + " \n \n", True)
    return "".join(parts), starts


def boundary_prf(nlp: Any, split: Any, own: Any) -> dict[str, float]:
    text, gold = synthetic_text()
    doc = nlp.make_doc(text)
    pred = set(_starts_chars(doc, split, own))
    tp = len(pred & set(gold))
    p, r = tp / len(pred) if pred else 0.0, tp / len(gold)
    return {"p": round(p, 3), "r": round(r, 3), "f": round(2 * p * r / (p + r), 3) if p + r else 0.0}


def _starts_chars(doc: Any, split: Any, own: Any) -> list[int]:
    if split is None:
        starts = own(doc)
    else:
        doc = split(doc)
        starts = [s.start for s in doc.sents]
    out = []
    for i in starts:
        while i < len(doc) and doc[i].is_space:
            i += 1
        if i < len(doc):
            out.append(doc[i].idx)
    return out


def letter_proxies(nlp: Any, split: Any, own: Any, texts: list[str]) -> dict[str, int]:
    """Error proxies on real letters: lower-case sentence starts, splits after abbreviations, titles inside."""
    n = lower = abbrev = titles = 0
    for text in texts:
        doc = nlp.make_doc(text)
        starts = sorted(set(_starts_chars(doc, split, own)))
        n += len(starts)
        for c in starts:
            lower += int(text[c].islower())
            before = text[:c].rstrip()
            tail = before.split()[-1] if before.split() else ""
            abbrev += int(tail.lower().rstrip(".") in {"dr", "mr", "ms", "mrs", "no", "vs", "e.g", "i.e", "pg", "ed"})
        offsets = set(starts)
        at = 0
        for line in text.split("\n"):
            stripped = line.strip()
            letters = [ch for ch in stripped if ch.isalpha()]
            if len(letters) >= 6 and all(ch.isupper() for ch in letters):
                titles += int(at + len(line) - len(line.lstrip()) not in offsets)
            at += len(line) + 1
    return {"sentences": n, "lowercase_starts": lower, "abbreviation_splits": abbrev, "titles_inside": titles}


def seed_accuracy(nlp: Any, split: Any) -> str:
    """is_negated/is_historical/is_hypothetical right on the seed letter, gold spans preset as entities."""
    right = total = 0
    context = nlp.get_pipe("context")
    for line in SEED.read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        doc = nlp.make_doc(gold["text"])
        if split is not None:
            doc = split(doc)
        doc.ents = [doc.char_span(s["start"], s["end"], label=s["label"]) for s in gold["spans"]]
        doc = context(doc)
        for span, ent in zip(gold["spans"], doc.ents, strict=True):
            for name in ("is_negated", "is_historical", "is_hypothetical"):
                if name in span["attrs"]:
                    total += 1
                    right += int(getattr(ent._, name) == span["attrs"][name])
    return f"{right}/{total}"


def letter_texts() -> list[str]:
    from imr_spacy.pdf_reader import read_pdf

    return [read_pdf(p) for p in sorted(LETTERS.glob("*.pdf"))]


# --- report ------------------------------------------------------------------------------------


def row(name: str, scores: dict[str, Any] | None) -> str:
    if scores is None:
        return f"| {name} | n/a | | | | | | | |"
    neg = scores["negex"]["negation"]
    ctx = scores["context"]

    def f1(key: str) -> str:  # "-": the system does not assign the attribute
        return f"{ctx[key]['f']:.3f}" if key in ctx and ctx[key]["pred"] else "-"

    cells = [f"{neg['p']:.3f}", f"{neg['r']:.3f}", f"{neg['f']:.3f}", f"{neg['accuracy']:.3f}"]
    cells += [f"{ctx['negation']['f']:.3f}", f1("is_historical"), f1("is_hypothetical")]
    cells.append(f"{neg['sentences_per_second']:,.0f}")
    cpu = neg.get("cpu_sentences_per_second")
    cells.append(f"{cpu:,.0f}" if cpu else "-")
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="an assembled pipeline folder (default: assemble configs/pipeline.cfg)")
    ap.add_argument("--skip-medspacy", action="store_true")
    ap.add_argument("--setup-medspacy", action="store_true", help="create the medspaCy venv if it is missing")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        medspacy_worker()
        return
    import spacy
    from imr_spacy.sentences import sentence_starts

    t0 = time.perf_counter()
    model = assemble(args.model)
    results: list[tuple[str, dict[str, Any] | None]] = [("imr_context (score.py)", official_scores(model))]
    nlp = spacy.load(model)
    score = load_score()
    splits = splitters()
    own_run = score_both(score, with_splitter(nlp, None))  # the same as score.py; adds the CPU rate
    results[0][1]["negex"]["negation"]["cpu_sentences_per_second"] = own_run["negex"]["negation"][
        "cpu_sentences_per_second"
    ]
    for name in ("spaCy sentencizer", "pysbd"):
        results.append((f"imr_context + {name}", score_both(score, with_splitter(nlp, splits[name]))))
    for termset_name in ("en_clinical", "en"):
        results.append((f"negspacy {termset_name}", score_both(score, negspacy_system(termset_name))))
    if not args.skip_medspacy:
        results.append(("medSpaCy ConText", medspacy_scores(args.setup_medspacy)))
    print("Negation. negex_dev: P, R, F1, accuracy, sentences/s; context_dev: negation, historical, hypothetical F1")
    print("| system | P | R | F1 | acc | ctx neg F1 | hist F1 | hyp F1 | sent/s | CPU sent/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, scores in results:
        print(row(name, scores))
    own_rules = nlp.get_pipe("context").sentence_rules

    def own(doc: Any) -> list[int]:
        return sentence_starts(doc, own_rules)

    texts = letter_texts()
    print("\nSentence splitters: synthetic PDF-wrapped text (boundary P/R/F1), seed letter, 72 letters (error proxies)")
    print(
        "| splitter | P | R | F1 | seed flags right | sentences | lower-case starts | abbrev splits | titles inside |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, split in splits.items():
        prf = boundary_prf(nlp, split, own)
        proxies = letter_proxies(nlp, split, own, texts)
        cells = [prf["p"], prf["r"], prf["f"], seed_accuracy(nlp, split), *proxies.values()]
        print(f"| {name} | " + " | ".join(str(c) for c in cells) + " |")
    print(f"\n({time.perf_counter() - t0:.0f} s; model {model})")


if __name__ == "__main__":
    main()
