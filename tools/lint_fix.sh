#!/usr/bin/env bash
# Re-apply the automatic lint fixes (after a merge, for instance), then check:
#   ruff check --fix; ruff format; prettier --write (views, data, JS);
#   tools/gen_addon_readme.py (README.rst, static/description/index.html).
# Same as `make lint-fix`.  Manual fixes (self.env._, cr.commit guards, ...) are not redone.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tools/lint.py --fix
