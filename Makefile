# `make run` serves the app; `make test` runs the whole suite. Both set up
# .venv on first use and only reinstall when pyproject.toml changes.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The first interpreter that is Python 3.12 or newer (pyenv honours .python-version).
PYTHON ?= $(shell for p in python3.12 python3.13 python3.14 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: run serve install install-test test migrate seed superuser bench loadtest ci clean assets screenshots

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (none found on PATH)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

seed: migrate
	$(BIN)/python manage.py load_seed

run: seed
	@echo
	@echo "  Flashcards is starting on http://127.0.0.1:$(PORT)/"
	@echo "  To create an admin (staff) account: make superuser"
	@echo "  (or: $(BIN)/python manage.py createsuperuser)"
	@echo
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

superuser: migrate
	$(BIN)/python manage.py createsuperuser

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# README's pictures: the browser tests' own screenshots of the review and
# statistics pages, light theme, on a 390 px phone.
screenshots: install-test
	$(BIN)/python -m pytest tests/quiz/test_screens_browser.py -k light-390 -q
	mkdir -p docs
	cp test-artifacts/screen-light-390-review-answer-first-screen.png docs/review.png
	cp test-artifacts/screen-light-390-stats-first-screen.png docs/stats.png

bench: install-test
	$(BIN)/python manage.py benchmark $(BENCH_ARGS)

loadtest: install-test
	$(BIN)/python manage.py loadtest $(LOADTEST_ARGS)

# Regenerate files derived from sources: Pygments CSS and the seed fixture.
assets: migrate
	$(BIN)/python manage.py build_pygments_css
	$(BIN)/python manage.py build_seed_fixture

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .hypothesis test-artifacts
