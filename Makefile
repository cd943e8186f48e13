# The two commands a new user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
PORT ?= 8069

.PHONY: demo test test-odoo test-pytest bench check

demo:
	$(PYTHON) tools/devenv.py demo --port $(PORT) $(if $(RESET),--reset)

test:
	$(PYTHON) tools/devenv.py test

test-odoo:
	$(PYTHON) tools/devenv.py test --odoo-only $(if $(ADDONS),--addons $(ADDONS)) $(if $(TAGS),--tags $(TAGS))

test-pytest:
	$(PYTHON) tools/devenv.py test --pytest-only

bench:
	$(PYTHON) tools/devenv.py bench

check:
	$(PYTHON) tools/devenv.py check
