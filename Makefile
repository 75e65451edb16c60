# The two commands of the README's quick start, and the checks CI runs.
# uv is installed from PyPI on first use; everything else comes from uv.lock.
SHELL := /bin/bash
UV := $(shell command -v uv >/dev/null 2>&1 && echo uv || echo "python3 -m uv")

.PHONY: serve test lint uv

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet --disable-pip-version-check uv

## Run the API and a worker on the embedded default (SQLite + in-process Redis).
serve: uv
	$(UV) run --frozen ebhxh serve

## Run the whole test suite against real PostgreSQL and Redis (started if down).
test: uv
	UV="$(UV)" bash scripts/test

## ruff and mypy --strict.
lint: uv
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
