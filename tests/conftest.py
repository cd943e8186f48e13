"""Plain pytest setup: import the addons' pure-Python parts without Odoo.

``sms_two_way/__init__.py`` imports Odoo models, so the package is registered
here as a bare namespace: ``import sms_two_way.core.keywords`` then loads only
the plain-Python engine, exactly the file Odoo uses.
"""
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

for addon in ("sms_two_way", "sms_two_way_appointment", "sms_two_way_survey"):
    if addon not in sys.modules:
        package = types.ModuleType(addon)
        package.__path__ = [str(ROOT / addon)]
        sys.modules[addon] = package
