# The README's commands. `make run` serves the product; `make test` runs every test.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo shop is served on http://localhost:PORT, the dashboard on http://HOST:PORT:
# two origins, as a customer's website and this server would be.
export CHAT_PUBLIC_URL ?= http://$(HOST):$(PORT)
export CHAT_DEMO_SERVER ?= http://$(HOST):$(PORT)

.PHONY: run test test-only lint install uv browser bench clean

uv:
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || { \
	  echo "Installing uv (the Python package manager) from PyPI..."; \
	  python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv; }

install: uv
	@$(UV) sync --frozen --quiet

run: install
	@mkdir -p var
	DJANGO_DEBUG=1 $(UV) run python manage.py migrate --no-input -v 0
	DJANGO_DEBUG=1 $(UV) run python manage.py demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C stops)"
	DJANGO_DEBUG=1 $(UV) run python -m config.serve -b $(HOST) -p $(PORT)

browser:
	@./scripts/ensure-chromium

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	DJANGO_DEBUG=1 $(UV) run mypy .
	DJANGO_DEBUG=1 $(UV) run python manage.py makemigrations --check --dry-run

test: install browser lint test-only

test-only: install
	@mkdir -p var
	CHROMIUM_PATH="$$(./scripts/ensure-chromium)" $(UV) run pytest $(PYTEST_ARGS)

bench: install
	$(UV) run python benchmarks/load.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache staticfiles
