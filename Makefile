# The two commands a new user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
PORT ?= 8069

.PHONY: demo test test-busy test-odoo test-odoo-core test-pytest bench check

demo:
	$(PYTHON) tools/devenv.py demo --port $(PORT) $(if $(RESET),--reset)

test:
	$(PYTHON) tools/devenv.py test

# `make test` while a CPU-bound loop keeps each core busy (see docs/developers.md).
test-busy:
	$(PYTHON) tools/devenv.py test --busy

test-odoo:
	$(PYTHON) tools/devenv.py test --odoo-only $(if $(ADDONS),--addons $(ADDONS)) $(if $(TAGS),--tags $(TAGS))

# Odoo's own SMS suites with our addons installed: the CI gate of docs/developers.md.
test-odoo-core:
	$(PYTHON) tools/devenv.py test-odoo-core

test-pytest:
	$(PYTHON) tools/devenv.py test --pytest-only

bench:
	$(PYTHON) tools/devenv.py bench

check:
	$(PYTHON) tools/devenv.py check
