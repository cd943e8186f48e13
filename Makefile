# The two commands a new user needs: `make demo` and `make test` (see README.md).
# PYTHON=python3.12 (or a path) picks the interpreter; without it, python3 is used
# when it imports Odoo 18.0, else tools/bootstrap.py builds .devenv/ (see README.md).
PYTHON ?=
DEVENV = $(if $(PYTHON),SMS_TWO_WAY_PYTHON=$(PYTHON) )python3 tools/devenv.py
PORT ?= 8069

.PHONY: demo test test-busy test-odoo test-odoo-core test-pytest test-pytest-odoo test-bootstrap bench check stop lint lint-fix pot

demo:
	$(DEVENV) demo --port $(PORT) $(if $(RESET),--reset)

test:
	$(DEVENV) test

# `make test` while a CPU-bound loop keeps each core busy (see docs/developers.md).
test-busy:
	$(DEVENV) test --busy

test-odoo:
	$(DEVENV) test --odoo-only $(if $(ADDONS),--addons $(ADDONS)) $(if $(TAGS),--tags $(TAGS))

# Odoo's own SMS suites with our addons installed: the CI gate of docs/developers.md.
test-odoo-core:
	$(DEVENV) test-odoo-core

test-pytest:
	$(DEVENV) test --pytest-only

bench:
	$(DEVENV) bench

check:
	$(DEVENV) check

# Slow (builds a whole .devenv/ in a fresh clone); run by .ci/run.
test-bootstrap:
	$(DEVENV) test-bootstrap

stop:
	$(DEVENV) stop

# Translation templates (i18n/*.pot) exported by Odoo from a scratch database.
pot:
	$(DEVENV) pot

# The Odoo tests through pytest-odoo (HTTP on, for webhooks and tours); PYTEST_ARGS="-k Name" narrows.
test-pytest-odoo:
	$(DEVENV) test-pytest-odoo --http $(if $(ADDONS),--addons $(ADDONS)) -- $(PYTEST_ARGS)

# OCA checks (ruff, pylint-odoo, oca-checks-odoo-module, prettier, README.rst), offline after the first run.
lint:
	python3 tools/lint.py

# The automatic fixes (ruff --fix, ruff format, prettier --write, README.rst), then the checks.
lint-fix:
	python3 tools/lint.py --fix
