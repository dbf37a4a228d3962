"""Package size, load time and words/second of assembled pipelines (before/after adding the model).

    .venv/bin/python training/benchmark.py /tmp/G1/rules /tmp/G1/trained [--texts examples/letters] [--repeat 3]

Each pipeline is loaded in a fresh process (load time includes imports, as for a user), then runs over the
text of the bundled letters (PDFs read with imr_spacy.pdf_reader, .txt as is). Prints one JSON line per pipeline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import spacy
import imr_spacy.model_merge  # noqa: F401
nlp = spacy.load(sys.argv[1])
load = time.perf_counter() - t0
from pathlib import Path
from imr_spacy.pdf_reader import read_pdf
texts = []
for p in sorted(Path(sys.argv[2]).iterdir()):
    if p.suffix == ".pdf":
        texts.append(read_pdf(p))
    elif p.suffix == ".txt":
        texts.append(p.read_text(encoding="utf-8"))
words = sum(len(t.split()) for t in texts)
list(nlp.pipe(texts[:2]))
best = None
for _ in range(int(sys.argv[3])):
    t1 = time.perf_counter()
    for _doc in nlp.pipe(texts, batch_size=16):
        pass
    dt = time.perf_counter() - t1
    best = dt if best is None else min(best, dt)
print(json.dumps({"load_s": round(load, 2), "docs": len(texts), "words": words, "seconds": round(best, 2),
                  "words_per_s": round(words / best)}))
"""


def size_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pipelines", nargs="+", type=Path)
    ap.add_argument("--texts", type=Path, default=ROOT / "examples" / "letters")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for path in args.pipelines:
        out = (
            subprocess.run(
                [sys.executable, "-c", CHILD, str(path), str(args.texts), str(args.repeat)],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        row = {"pipeline": str(path), "size_mb": size_mb(path)} | json.loads(out)
        print(json.dumps(row))


if __name__ == "__main__":
    main()
