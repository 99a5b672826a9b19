# The two commands of the README: `make demo` and `make test`. Each sets up what it needs.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck check lock clean

$(STAMP): pyproject.toml requirements.lock scripts/bootstrap.sh scripts/system-packages.txt
	VENV=$(VENV) scripts/bootstrap.sh
	touch $(STAMP)

CORPUS ?= ../shared/corpus

demo: $(STAMP)  ## run the main job on the embedded default: demo data, ETL on DuckDB
	$(BIN)/opwatch demo $(if $(wildcard $(CORPUS)),--corpus $(CORPUS))

test: $(STAMP)  ## run the test suite
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test  ## everything CI runs

lock:  ## re-pin requirements.lock from a fresh resolution of pyproject.toml
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install -q '.[dev]'
	.lock-venv/bin/pip freeze --exclude opwatch > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
