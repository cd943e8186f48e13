#!/usr/bin/env python3
"""``make lint`` / ``make lint-fix``: OCA's pre-commit checks, run offline from installed tools.

The hooks of ``.pre-commit-config.yaml`` are run directly (``pre-commit`` itself
would fetch each hook's repository from GitHub on every new machine): the Python
tools live in ``.devenv/lint`` (``requirements-lint.txt``), prettier and its XML
plugin in ``.devenv/node``.  Both are installed on the first run and reused
offline afterwards.

``--fix`` applies what the tools can fix themselves (ruff's fixes, ruff format,
``_()`` to ``self.env._()`` in models, prettier, the generated README.rst); ``tools/lint_fix.sh`` is the same thing.
"""

import argparse
import subprocess
import sys
from pathlib import Path

import bootstrap

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ["sms_two_way", "sms_two_way_appointment", "sms_two_way_survey"]
PRETTIER = [
    "prettier@3.3.3",
    "@prettier/plugin-xml@3.4.1",
]  # as OCA's 18.0 template pins them
# Prettier formats the addons' own files (views, data, JS, SCSS); the prose in
# docs/, README.md and readme/ fragments is left to its authors, as OCA does for
# README.md and readme/.
PRETTIER_SUFFIXES = (".xml", ".js", ".css", ".scss", ".json", ".yml", ".yaml")
PRETTIER_SKIP = (
    "/static/lib/",
    "/static/src/lib/",
    "/static/description/index.html",
    "/i18n/",
)


def tracked(*patterns):
    out = subprocess.run(
        ["git", "ls-files", "--", *patterns],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in out.stdout.splitlines() if (ROOT / line).exists()]


def prettier_files():
    return [
        f
        for f in tracked(*ADDONS, ".pre-commit-config.yaml", ".prettierrc.yml")
        if f.endswith(PRETTIER_SUFFIXES)
        and not any(skip in f"/{f}" for skip in PRETTIER_SKIP)
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--fix", action="store_true", help="apply the automatic fixes, then check"
    )
    args = parser.parse_args()
    try:
        python = bootstrap.tool_venv("lint", ROOT / "requirements-lint.txt")
        node_bin = bootstrap.node_tools("node", PRETTIER)
    except bootstrap.BootstrapError as exc:
        print(f"\n*** {exc}\n", file=sys.stderr)
        sys.exit(2)
    bin_dir = python.parent
    plugin = node_bin.parent / "@prettier" / "plugin-xml" / "src" / "plugin.js"
    prettier = [node_bin / "prettier", f"--plugin={plugin}"]
    python_files = tracked("*.py")
    manifests = [f"{addon}/__manifest__.py" for addon in ADDONS]
    readme = [python, ROOT / "tools" / "gen_addon_readme.py", *ADDONS]

    if args.fix:
        for cmd in (
            [python, ROOT / "tools" / "fix_env_translation.py", *ADDONS],
            [bin_dir / "ruff", "check", "--fix", "--exit-zero", "-q", *python_files],
            [bin_dir / "ruff", "format", "-q", *python_files],
            [*prettier, "--write", "--log-level=warn", *prettier_files()],
            readme,
        ):
            print("$", " ".join(str(c) for c in cmd[:3]), "...", flush=True)
            subprocess.run(cmd, cwd=ROOT, check=True)

    checks = [
        (
            "ruff",
            [
                bin_dir / "ruff",
                "check",
                "--no-fix",
                "--output-format=concise",
                *python_files,
            ],
        ),
        ("ruff format", [bin_dir / "ruff", "format", "--check", *python_files]),
        (
            "pylint-odoo (OCA mandatory checks)",
            [
                bin_dir / "pylint",
                "--rcfile=.pylintrc-mandatory",
                "--output-format=parseable",
                *ADDONS,
            ],
        ),
        ("oca-checks-odoo-module", [bin_dir / "oca-checks-odoo-module", *manifests]),
        (
            "oca-checks-po",
            [
                bin_dir / "oca-checks-po",
                "--disable=po-pretty-format",
                *tracked("*.po", "*.pot"),
            ],
        ),
        (
            "prettier (with plugin-xml)",
            [*prettier, "--check", "--log-level=warn", *prettier_files()],
        ),
        ("README.rst generated from readme/", [*readme, "--check"]),
    ]
    failed = []
    for name, cmd in checks:
        print(f"--- {name}", flush=True)
        if subprocess.run([str(c) for c in cmd], cwd=ROOT).returncode:
            failed.append(name)
    if failed:
        print(
            f"\nlint FAILED: {', '.join(failed)}.  `make lint-fix` fixes what the tools can "
            "(ruff, ruff format, prettier, README.rst); the rest needs a hand.",
            file=sys.stderr,
        )
        sys.exit(1)
    print(f"\nlint OK: {', '.join(name for name, _cmd in checks)}")


if __name__ == "__main__":
    main()
