#!/usr/bin/env bash
# Train the open-class model used by configs/pipeline_trained.cfg: one tok2vec shared by an NER and a BILUO
# tagger (configs/ner.cfg, CPU, seeded) -> training/model-best. The training letters get one word-swapped copy
# each in which 80% of the diagnoses take ICD-10-CM wordings and 80% of the treatments made-up words
# (convert.py --augment 1 --swap-diagnoses 0.8 --nonce-treatments 0.8).
# Not committed (~5 MB); about 8 minutes of CPU on 2 cores.
#   bash training/train.sh            # from the repo root
set -euo pipefail
VENV=${VENV:-.venv}
DATA=${DATA:-build/training}
mkdir -p "$DATA"
"$VENV/bin/python" training/convert.py corpus/train.jsonl "$DATA/train.spacy" --augment 1 --swap-diagnoses 0.8 --nonce-treatments 0.8
"$VENV/bin/python" training/convert.py corpus/dev.jsonl "$DATA/dev.spacy"
"$VENV/bin/spacy" train configs/ner.cfg --output training --paths.train "$DATA/train.spacy" --paths.dev "$DATA/dev.spacy"
