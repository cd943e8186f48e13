"""The Odoo clone fetches exactly the commit ``ODOO_REF`` names (or a branch's tip), shallow.

A local two-commit repository stands in for the official one: pinning the
older commit must not check out the newer one.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import bootstrap  # noqa: E402


def _git(*args, cwd):
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def upstream(tmp_path):
    """A repository with two commits on ``main``; returns ``(path, old_sha, new_sha)``."""
    repo = tmp_path / "upstream"
    (repo / "odoo").mkdir(parents=True)
    _git("init", "-q", "-b", "main", cwd=repo)
    shas = []
    for serial in ("1", "2"):
        (repo / "odoo" / "release.py").write_text(f"serial = {serial}\n")
        _git("add", "-A", cwd=repo)
        _git(
            "-c", "user.name=t", "-c", "user.email=t@example.com",
            "commit", "-q", "-m", f"commit {serial}", cwd=repo,
        )  # fmt: skip
        shas.append(_git("rev-parse", "HEAD", cwd=repo))
    return repo, *shas


@pytest.fixture
def devenv(tmp_path, monkeypatch):
    monkeypatch.setattr(bootstrap, "DEVENV", tmp_path / "devenv")
    return tmp_path / "devenv"


def test_default_ref_is_a_pinned_commit():
    assert bootstrap.is_commit_hash(bootstrap.ODOO_REF)


def test_pinned_commit_is_fetched_exactly_and_shallow(upstream, devenv, tmp_path):
    repo, old_sha, _new_sha = upstream
    spec = {"git_url": str(repo), "ref": old_sha}
    target, detail = bootstrap.clone_odoo(spec, tmp_path / "log")
    assert detail == f"commit {old_sha}"
    assert _git("rev-parse", "HEAD", cwd=target) == old_sha
    assert (target / "odoo" / "release.py").read_text() == "serial = 1\n"
    assert _git("rev-parse", "--is-shallow-repository", cwd=target) == "true"
    # Same spec again: nothing fetched.
    assert bootstrap.clone_odoo(spec, tmp_path / "log") == (target, "already cloned")


def test_branch_name_fetches_its_tip(upstream, devenv, tmp_path):
    repo, _old_sha, new_sha = upstream
    target, detail = bootstrap.clone_odoo(
        {"git_url": str(repo), "ref": "main"}, tmp_path / "log"
    )
    assert detail == f"commit {new_sha}"
    assert (target / "odoo" / "release.py").read_text() == "serial = 2\n"


def test_unknown_commit_fails_with_one_message(upstream, devenv, tmp_path):
    repo, *_shas = upstream
    with pytest.raises(bootstrap.BootstrapError, match="Could not get Odoo"):
        bootstrap.clone_odoo({"git_url": str(repo), "ref": "0" * 40}, tmp_path / "log")
    assert not (devenv / "odoo").exists()


def test_other_repository_without_odoo_ref_says_to_set_it(
    upstream, devenv, tmp_path, monkeypatch
):
    repo, *_shas = upstream
    monkeypatch.delenv("ODOO_REF", raising=False)
    monkeypatch.delenv("ODOO_SRC", raising=False)
    monkeypatch.setenv("ODOO_GIT_URL", str(repo))
    spec = bootstrap.odoo_source_spec()
    assert spec == {"git_url": str(repo), "ref": bootstrap.ODOO_REF}
    with pytest.raises(bootstrap.BootstrapError, match="set ODOO_REF to one of"):
        bootstrap.clone_odoo(spec, tmp_path / "log")
