# The README's two commands: `make run` and `make test`.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test install install-dev lint typecheck pytest eval eval-corpus answerability browser-deps clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "make: $(PY) not found; install Python 3.11 or run 'make PY=/path/to/python3.11'"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch is pinned to the CPU wheel first so nothing pulls a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

run: install
	$(BIN)/speechqa ingest --quiet
	$(BIN)/speechqa serve --host $(HOST) --port $(PORT)

# Debian chromium and CJK fonts for the browser tests (never `playwright install`).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		else echo "make: browser tests need chromium and fonts-noto-cjk (apt-get install chromium fonts-noto-cjk)"; fi; \
	fi

# The evaluation on the fixed question set (also gated inside `make test`).
eval: install
	$(BIN)/speechqa eval --out eval-out

# The development corpus: every question set of eval/corpus/manifest.toml, gated per split
# (also inside `make test`), in a store of its own that keeps the corpus between runs
# (the first run ingests it: a few minutes on 2 cores).
CORPUS_STORE ?= eval-out/corpus-store
eval-corpus: install
	$(BIN)/speechqa eval --manifest --store $(CORPUS_STORE) --out eval-out/corpus

# Refit the answerability model (rag/data/answerability.json) on the tuning documents:
# their feature table (eval/answerability/features.csv), then the fit.
answerability: install-dev
	$(BIN)/speechqa train-answerability

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev browser-deps
	$(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
