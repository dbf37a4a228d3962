#!/usr/bin/env bash
# Train the open-class model used by configs/pipeline_trained.cfg: one tok2vec shared by an NER and a BILUO
# tagger (configs/ner.cfg, CPU, seeded) -> training/model-best. The training data is the synthetic train split,
# with one word-swapped copy of each letter in which 80% of the diagnoses take ICD-10-CM wordings and 80% of the
# treatments made-up words (convert.py --augment 1 --swap-diagnoses 0.8 --nonce-treatments 0.8), and the 56
# hand-corrected real letters of corpus/real_train.jsonl, four times each (--repeat 4), their spans that hold a
# test-only term of the synthetic vocabulary left unannotated (--mask-held-out). Dev (model-best) is the
# synthetic dev split.
# Not committed (~5 MB); about 9 minutes of CPU on 2 cores.
#   bash training/train.sh            # from the repo root
set -euo pipefail
VENV=${VENV:-.venv}
DATA=${DATA:-build/training}
mkdir -p "$DATA/train"
"$VENV/bin/python" training/convert.py corpus/train.jsonl "$DATA/train/synthetic.spacy" --augment 1 --swap-diagnoses 0.8 --nonce-treatments 0.8
"$VENV/bin/python" training/convert.py corpus/real_train.jsonl "$DATA/train/real.spacy" --mask-held-out --repeat 4
"$VENV/bin/python" training/convert.py corpus/dev.jsonl "$DATA/dev.spacy"
"$VENV/bin/spacy" train configs/ner.cfg --output training --paths.train "$DATA/train" --paths.dev "$DATA/dev.spacy"
