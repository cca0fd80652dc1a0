# The README's commands. `make run` serves the product; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
# The uv on PATH (or from uv's own installer), else the private copy the `uv` target puts
# in .tools/. Looked up each time a recipe uses it, so after `uv` has installed it.
UV = $(shell $(PYTHON) scripts/ensure_uv.py --find)
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo shop is served on http://localhost:PORT, the dashboard on http://HOST:PORT:
# two origins, as a customer's website and this server would be.
export CHAT_PUBLIC_URL ?= http://$(HOST):$(PORT)
export CHAT_DEMO_SERVER ?= http://$(HOST):$(PORT)
# Commands run in development settings unless DJANGO_DEBUG is set in the environment.
DEV := DJANGO_DEBUG=$${DJANGO_DEBUG:-1}

.PHONY: run check-port test test-only lint install uv migrate manage browser bench clean

uv:
	@$(PYTHON) scripts/ensure_uv.py >/dev/null

install: uv
	@$(UV) sync --frozen --quiet

migrate: install
	@mkdir -p var
	$(DEV) $(UV) run python manage.py migrate --no-input -v 0

# Any manage.py command: make manage ARGS="createsuperuser".
manage: install
	@$(DEV) $(UV) run python manage.py $(ARGS)

# Make expands a whole recipe before running it: anything that must happen before $(UV)
# is looked up (installing uv) is a prerequisite, not an earlier line.
run: export DJANGO_DEBUG := 1
run: check-port migrate
	$(UV) run python manage.py demo
	@$(UV) run python scripts/dev_server.py --host $(HOST) --port $(PORT)

check-port:
	@$(PYTHON) scripts/dev_server.py --check --host $(HOST) --port $(PORT)

browser:
	@UV="$(UV)" ./scripts/ensure-chromium

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	DJANGO_DEBUG=1 $(UV) run mypy .
	DJANGO_DEBUG=1 $(UV) run python manage.py makemigrations --check --dry-run

test: install browser lint test-only

# Without PYTEST_ARGS: the tests that need no server of their own run two at a time
# (pytest-xdist, a file per worker; a worker that dies ends the run instead of being
# replaced, which could leave xdist waiting), then those that start daphne, Redis or a browser,
# one at a time (they time real sockets). With PYTEST_ARGS: exactly what is asked.
PARALLEL_TESTS := chat dashboard --ignore=chat/tests/test_scaleout.py --ignore=chat/tests/test_makefile.py --ignore=chat/tests/test_deploy.py
SERIAL_TESTS := chat/tests/test_scaleout.py chat/tests/test_makefile.py chat/tests/test_deploy.py e2e
test-only: install
	@mkdir -p var
	@export CHROMIUM_PATH="$$(UV="$(UV)" ./scripts/ensure-chromium)"; \
	if [ -n "$(PYTEST_ARGS)" ]; then \
	  echo "$(UV) run pytest $(PYTEST_ARGS)"; $(UV) run pytest $(PYTEST_ARGS); \
	else \
	  echo "$(UV) run pytest -n 2 --dist loadfile --max-worker-restart 0 $(PARALLEL_TESTS)"; \
	  $(UV) run pytest -n 2 --dist loadfile --max-worker-restart 0 $(PARALLEL_TESTS) && \
	  echo "$(UV) run pytest $(SERIAL_TESTS)" && $(UV) run pytest $(SERIAL_TESTS); \
	fi

bench: install
	$(UV) run python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache staticfiles
