# Two commands: `make run` and `make test`. Both build .venv from pyproject.toml when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Two pytest workers per core, at most 8: much of the suite waits on real processes
# (workers, SMTP, uvicorn, Chromium), so a core can serve two (-n 4 took 435 s where
# -n 2 took 561 s on 2 cores); 8 keeps PostgreSQL under its connection limit.
# `make pytest PYTEST_ARGS=...` replaces it (e.g. -k something).
PYTEST_WORKERS := $(shell n=$$(nproc 2>/dev/null || echo 1); j=$$((n * 2)); [ $$j -gt 8 ] && j=8; echo $$j)
PYTEST_ARGS ?= -n $(PYTEST_WORKERS)

.PHONY: run test lint typecheck pytest clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/intake run

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected nothing: say so, and fail.
pytest: $(STAMP)
	@$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make pytest: no tests were collected" >&2; fi; \
	exit $$status

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
