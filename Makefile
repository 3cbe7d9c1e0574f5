# Two commands: `make run` and `make test`. Both build .venv from pyproject.toml when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# One pytest worker per core; `make pytest PYTEST_ARGS=...` replaces it (e.g. -k something).
PYTEST_ARGS ?= -n auto

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
