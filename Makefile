# Two commands on a fresh clone: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export BOKEH_RESOURCES := inline
export HF_HUB_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install demo serve test lint test-only bench clean system-deps

system-deps:
	tools/system-deps.sh

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name aitrader --display-name "AI Trader" >/dev/null
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## demo: create .venv, initialise the SQLite store under ./var, load the bundled candles, serve
demo: install
	$(BIN)/aitrader db upgrade
	$(BIN)/aitrader ingest sample
	@echo ""
	@echo "  API:      http://$(HOST):$(PORT)/ohlcv?symbol=BTC/USDT&timeframe=1h&order=desc&limit=5"
	@echo "  Docs:     http://$(HOST):$(PORT)/docs"
	@echo "  Coverage: http://$(HOST):$(PORT)/ohlcv/coverage?symbol=BTC/USDT&timeframe=5m"
	@echo "  Health:   http://$(HOST):$(PORT)/health/ready   Metrics: http://$(HOST):$(PORT)/metrics"
	@echo ""
	$(BIN)/aitrader serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/aitrader serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## test: create or update .venv, run linters, import contracts and the whole suite
test: lint test-only

test-only: install
	tools/system-deps.sh
	$(BIN)/pytest tests aitrader_core --doctest-modules --nbmake notebooks -p no:cacheprovider \
		--ignore=aitrader_core/store/migrations

bench: install
	$(BIN)/python bench/store.py

clean:
	rm -rf $(VENV) var .cache
