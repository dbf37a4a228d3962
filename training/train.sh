#!/usr/bin/env bash
# Train the open-class NER pair used by configs/pipeline_trained.cfg: the same config (configs/ner.cfg, CPU)
# with seed 0 -> training/model-best and seed 1 -> training/model_b/model-best (the merge keeps the spans both
# models agree on). Not committed (~3.8 MB each); about 4-7 minutes per model on 2 cores.
#   bash training/train.sh            # from the repo root
set -euo pipefail
VENV=${VENV:-.venv}
DATA=${DATA:-build/training}
mkdir -p "$DATA"
for split in train dev; do
  "$VENV/bin/python" training/convert.py "corpus/$split.jsonl" "$DATA/$split.spacy"
done
"$VENV/bin/spacy" train configs/ner.cfg --output training --paths.train "$DATA/train.spacy" --paths.dev "$DATA/dev.spacy"
"$VENV/bin/spacy" train configs/ner.cfg --output training/model_b --paths.train "$DATA/train.spacy" \
  --paths.dev "$DATA/dev.spacy" --system.seed 1
