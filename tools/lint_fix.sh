#!/usr/bin/env bash
# Re-apply the automatic lint fixes (after a merge, for instance), then check:
#   tools/fix_env_translation.py (_() -> self.env._() in models); ruff check --fix;
#   ruff format; prettier --write (views, data, JS);
#   tools/gen_addon_readme.py (README.rst, static/description/index.html).
# Same as `make lint-fix`.  The manual fixes (cr.commit guard, ...) are
# listed in the commit that made them; `make lint` shows what is left.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tools/lint.py --fix
