"""Package size, load time and words/second of assembled pipelines (before/after adding the model).

    .venv/bin/python training/benchmark.py /tmp/trn/rules /tmp/trn/trained [--corpus letters,mtsamples] [--repeat 3]
    .venv/bin/python training/benchmark.py training/model-best --only tok2vec,ner,tagger   # the model's own cost

Each pipeline is loaded in a fresh process (load time includes imports, as for a user), then runs over the
bundled letters (``examples/letters``: PDFs read with imr_spacy.pdf_reader, .txt as is) and/or the MTSamples
notes (``../shared/data/mtsamples/mtsamples.csv``, column 0). Words are whitespace-separated words of the input;
words/CPU-s (this process's CPU time) is the figure to compare on a shared machine. ``--only`` times just those
components on Docs tokenized beforehand (tokenizer excluded). Prints one JSON line per pipeline and corpus.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import csv, json, sys, time
t0 = time.perf_counter()
import spacy
import imr_spacy.model_merge  # noqa: F401
nlp = spacy.load(sys.argv[1])
load = time.perf_counter() - t0
from pathlib import Path
from imr_spacy.pdf_reader import read_pdf

def letters(folder):
    out = []
    for p in sorted(Path(folder).iterdir()):
        if p.suffix == ".pdf":
            out.append(read_pdf(p))
        elif p.suffix == ".txt":
            out.append(p.read_text(encoding="utf-8"))
    return out

def mtsamples(path):
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8") as fh:
        return [r[0] for r in list(csv.reader(fh))[1:] if r and r[0].strip()]

only = [x for x in sys.argv[5].split(",") if x]
nlp.max_length = 50_000_000
for corpus in sys.argv[3].split(","):
    texts = letters(sys.argv[6]) if corpus == "letters" else mtsamples(sys.argv[7])
    words = sum(len(t.split()) for t in texts)
    list(nlp.pipe(texts[:2]))
    best = None
    for _ in range(int(sys.argv[2])):
        if only:
            docs = [nlp.make_doc(t) for t in texts]
            w0, c0 = time.perf_counter(), time.process_time()
            for name in only:
                docs = list(nlp.get_pipe(name).pipe(docs, batch_size=64))
        else:
            w0, c0 = time.perf_counter(), time.process_time()
            for _doc in nlp.pipe(texts, batch_size=16):
                pass
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        best = (wall, cpu) if best is None or cpu < best[1] else best
    print(json.dumps({"corpus": corpus, "only": only or None, "load_s": round(load, 2), "docs": len(texts),
                      "words": words, "seconds": round(best[0], 2), "cpu_seconds": round(best[1], 2),
                      "words_per_s": round(words / best[0]), "words_per_cpu_s": round(words / best[1])}))
"""


def size_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pipelines", nargs="+", type=Path)
    ap.add_argument("--texts", type=Path, default=ROOT / "examples" / "letters")
    ap.add_argument("--mtsamples", type=Path, default=ROOT.parent / "shared" / "data" / "mtsamples" / "mtsamples.csv")
    ap.add_argument("--corpus", default="letters", help="letters, mtsamples or both (comma-separated)")
    ap.add_argument("--only", default="", help="comma-separated components to time alone (e.g. tok2vec,ner,tagger)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for path in args.pipelines:
        argv = [str(path), str(args.repeat), args.corpus, "", args.only, str(args.texts), str(args.mtsamples)]
        out = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, check=True)
        for line in out.stdout.strip().splitlines():
            if line.startswith("{"):
                print(json.dumps({"pipeline": str(path), "size_mb": size_mb(path)} | json.loads(line)))


if __name__ == "__main__":
    main()
