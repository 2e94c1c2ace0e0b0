# Two commands on a fresh clone: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
DASH_PORT ?= 8866
# The demo's operator token (mutating routes need one); set your own for anything real.
DEMO_TOKEN ?= demo-token-change-me

export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export BOKEH_RESOURCES := inline
export HF_HUB_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install demo dashboard serve test lint test-only bench clean system-deps

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

## demo: create .venv, initialise the SQLite store under ./var, load the bundled candles, then
## serve the API (paper trading on the simulator, replayed bundled candles; news replayed from
## the bundled captures) and the operator dashboard
demo: install
	$(BIN)/aitrader db upgrade
	$(BIN)/aitrader ingest sample
	@echo ""
	@echo "  API:       http://$(HOST):$(PORT)/docs   (token for changes: $(DEMO_TOKEN))"
	@echo "  Dashboard: http://$(HOST):$(DASH_PORT)/   (operator dashboard, Voila)"
	@echo "  Live:      http://$(HOST):$(PORT)/live/pnl   /live/trades   /live/broker"
	@echo "  Research:  http://$(HOST):$(PORT)/analysis?symbol=BTC/USDT&timeframe=1h   /news"
	@echo "  Health:    http://$(HOST):$(PORT)/health/ready   Metrics: http://$(HOST):$(PORT)/metrics"
	@echo ""
	@mkdir -p var
	@export AITRADER_API_TOKEN=$${AITRADER_API_TOKEN:-$(DEMO_TOKEN)} \
	    AITRADER_NEWS_ENABLED=$${AITRADER_NEWS_ENABLED:-true} \
	    AITRADER_NEWS_CONFIG=$${AITRADER_NEWS_CONFIG:-configs/news/demo.yaml}; \
	  AITRADER_SERVICE_URL=http://$(HOST):$(PORT) $(BIN)/voila dashboards/operator.ipynb \
	    --no-browser --port=$(DASH_PORT) --Voila.ip=$(HOST) > var/dashboard.log 2>&1 & \
	  dash=$$!; trap 'kill $$dash 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/aitrader serve --host $(HOST) --port $(PORT)

## dashboard: the operator dashboard (Voila) over the service at AITRADER_SERVICE_URL
dashboard: install
	AITRADER_SERVICE_URL=$${AITRADER_SERVICE_URL:-http://$(HOST):$(PORT)} \
	  $(BIN)/voila dashboards/operator.ipynb --no-browser --port=$(DASH_PORT) --Voila.ip=$(HOST)

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
