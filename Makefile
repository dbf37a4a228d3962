# Two commands for a fresh machine: `make annotate` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' pipeline/imr_spacy/__init__.py)
MODEL_DIR := build/en_imr_pipeline
PKG_DIR := build/packages
MODEL_WHEEL := $(PKG_DIR)/en_imr_pipeline-$(VERSION)/dist/en_imr_pipeline-$(VERSION)-py3-none-any.whl
SOURCES := $(shell find pipeline -name '*.py') $(shell find patterns -name '*.jsonl') configs/pipeline.cfg setup.cfg
LETTERS := examples/letters
OUT := out/annotations.jsonl

.PHONY: help venv model install annotate test lint train model-trained evaluate clean

help:
	@echo "make annotate  - set up .venv, build and install en_imr_pipeline, annotate $(LETTERS) -> $(OUT)"
	@echo "make test      - set up .venv, build and install the package, run the tests"
	@echo "make model     - assemble and package the pipeline only"
	@echo "make lint      - ruff"
	@echo "make train     - train the open-class NER (+ BILUO tagger) on corpus/ (CPU, seeded)"
	@echo "make model-trained - assemble rules + trained NER into build/en_imr_pipeline_trained"
	@echo "make evaluate  - per-label scores of the rules-only pipeline on corpus/test.jsonl and corpus/real_dev.jsonl"

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

$(MODEL_WHEEL): $(VENV)/.installed $(SOURCES)
	rm -rf $(MODEL_DIR) $(PKG_DIR)
	$(VENV)/bin/spacy assemble configs/pipeline.cfg $(MODEL_DIR) --paths.patterns patterns
	mkdir -p $(PKG_DIR)
	$(VENV)/bin/spacy package $(MODEL_DIR) $(PKG_DIR) --name imr_pipeline --version $(VERSION) --meta-path configs/meta.json --build wheel --force
	$(PIP) install --quiet --force-reinstall --no-deps $(MODEL_WHEEL)

model: $(MODEL_WHEEL)

install: model

annotate: model
	mkdir -p out
	$(VENV)/bin/imr annotate $(LETTERS) -o $(OUT)

test: model
	$(PY) -m pytest -q

train: $(VENV)/.installed
	VENV=$(VENV) bash training/train.sh

model-trained: train
	$(VENV)/bin/spacy assemble configs/pipeline_trained.cfg build/en_imr_pipeline_trained --paths.patterns patterns \
		--paths.model training/model-best

evaluate: model
	$(VENV)/bin/imr evaluate $(MODEL_DIR) corpus/test.jsonl
	$(VENV)/bin/imr evaluate $(MODEL_DIR) corpus/real_dev.jsonl

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check pipeline tests bench corpus training
	$(VENV)/bin/ruff format --check pipeline tests bench corpus training

clean:
	rm -rf build out
