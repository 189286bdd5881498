# One command runs the main job (make demo); one command passes the tests (make test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS := dev,emulator,cli,http2,aiohttp
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/aiospaces demo

test: lint typecheck pytest docs

lint: $(STAMP)
	$(BIN)/ruff check aiospaces tests benchmarks
	$(BIN)/ruff format --check aiospaces tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict aiospaces tests

pytest: $(STAMP)
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report --include='aiospaces/core/*' --fail-under=90
	$(BIN)/coverage report --fail-under=85

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) site .coverage .mypy_cache .ruff_cache .pytest_cache
