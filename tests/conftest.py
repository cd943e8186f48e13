"""Plain pytest setup: import the addons' pure-Python parts without Odoo.

``sms_two_way/__init__.py`` imports Odoo models, so the package is registered
here as a bare namespace: ``import sms_two_way.core.keywords`` then loads only
the plain-Python engine, exactly the file Odoo uses.
"""

import os
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

for addon in ("sms_two_way", "sms_two_way_appointment", "sms_two_way_survey"):
    if addon not in sys.modules:
        package = types.ModuleType(addon)
        package.__path__ = [str(ROOT / addon)]
        sys.modules[addon] = package


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: needs a database prepared by `make test`")
    config.addinivalue_line(
        "markers", "bootstrap: builds a whole .devenv/ (`make test-bootstrap`)"
    )


def pytest_collection_modifyitems(config, items):
    """End-to-end tests run from `make test`, which prepares their database;
    the bootstrap test from `make test-bootstrap`."""
    dropped = set()
    if not os.environ.get("SMS_TWO_WAY_E2E_DB"):
        dropped.add("e2e")
    if not os.environ.get("SMS_TWO_WAY_BOOTSTRAP_TEST"):
        dropped.add("bootstrap")
    kept = [
        item
        for item in items
        if not any(item.get_closest_marker(name) for name in dropped)
    ]
    if len(kept) != len(items):
        config.hook.pytest_deselected(
            items=[item for item in items if item not in kept]
        )
        items[:] = kept
