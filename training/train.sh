#!/usr/bin/env bash
# Train the open-class NER (configs/ner.cfg) on corpus/: JSONL -> DocBin, then `spacy train` (CPU, seeded).
# Writes training/model-best and training/model-last (not committed: ~4 MB, rebuilt by `make train`).
#   bash training/train.sh            # from the repo root
set -euo pipefail
VENV=${VENV:-.venv}
DATA=${DATA:-build/training}
OUT=${OUT:-training}
mkdir -p "$DATA"
for split in train dev; do
  "$VENV/bin/python" training/convert.py "corpus/$split.jsonl" "$DATA/$split.spacy"
done
"$VENV/bin/spacy" train configs/ner.cfg --output "$OUT" --paths.train "$DATA/train.spacy" --paths.dev "$DATA/dev.spacy"
