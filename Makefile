# The two commands: `make run` (install, migrate, serve) and `make test` (install, lint, every test).
SHELL := /bin/bash
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin

.PHONY: run test install lint worker bench clean

install:
	@bash scripts/install.sh

run: install
	@$(BIN)/alembic -c backend/alembic.ini upgrade head
	@exec $(BIN)/uvicorn app.main:app --app-dir backend --host $(HOST) --port $(PORT) --no-access-log

lint: install
	@cd backend && $(BIN)/ruff check app tests bench && $(BIN)/ruff format --check app tests bench
	@cd backend && $(BIN)/mypy app
	@cd backend && $(BIN)/lint-imports --no-cache  # the layers contract in pyproject.toml (DESIGN.md section 9)
	@PYTHON=$(BIN)/python bash scripts/api-types.sh --check

test: install lint
	@bash scripts/test.sh

worker: install
	@exec $(BIN)/stratcrew-worker

bench: install
	@cd backend && $(BIN)/python -m bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
