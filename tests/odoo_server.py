"""A real Odoo server for end-to-end tests and benchmarks: start it, talk JSON-RPC, post webhooks.

Plain Python (no Odoo import): the server runs in its own process, started
with the command ``tools/devenv.py`` builds (``SMS_TWO_WAY_E2E_ODOO``,
fields separated by ``\\x1f``).
"""

import importlib.util
import os
import socket
import subprocess
import time

import psycopg2
import requests
from e2e_server import REQUEST_TIMEOUT, stop, wait_until_ready
from twilio.request_validator import RequestValidator

FAKE_TWILIO_PATH = os.path.join(
    os.path.dirname(__file__), "..", "sms_two_way", "tests", "fake_twilio.py"
)
LAUNCHER_PATH = os.path.join(os.path.dirname(__file__), "odoo_launcher.py")


def load_fake_twilio():
    """The addon's loopback Twilio, loaded by path: its package imports Odoo test classes."""
    spec = importlib.util.spec_from_file_location("fake_twilio", FAKE_TWILIO_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FakeTwilio


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    """``command`` (a list) started on a free loopback port with the given worker counts."""

    def __init__(self, command, log_path, workers=2, cron_workers=1, extra=()):
        if command[1:3] == [
            "-m",
            "odoo",
        ]:  # prefork respawns sys.argv[0]: give it a script
            command = [command[0], LAUNCHER_PATH, *command[3:]]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                *command,
                f"--http-port={self.port}",
                "--http-interface=127.0.0.1",
                f"--workers={workers}",
                f"--max-cron-threads={cron_workers}",
                "--log-level=warn",
                *extra,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @classmethod
    def from_environment(cls, log_name, workers, cron_workers, extra=()):
        """The server ``make test`` prepared for the end-to-end tests, started and ready.

        ``tools/devenv.py`` passes the database (``SMS_TWO_WAY_E2E_DB``) and the
        Odoo command (``SMS_TWO_WAY_E2E_ODOO``, fields separated by ``\\x1f``);
        the log goes to ``SMS_TWO_WAY_WORK_DIR``.  The database is ``server.db``.
        """
        command = os.environ["SMS_TWO_WAY_E2E_ODOO"].split("\x1f")
        log_path = os.path.join(
            os.environ.get("SMS_TWO_WAY_WORK_DIR", "/tmp"), log_name
        )
        server = cls(
            command, log_path, workers=workers, cron_workers=cron_workers, extra=extra
        )
        server.db = os.environ["SMS_TWO_WAY_E2E_DB"]
        return server.wait_ready()

    def wait_ready(self):
        """Wait out a slow start (see :func:`e2e_server.wait_until_ready`), then warm the server up."""
        try:
            wait_until_ready(self.process, f"{self.url}/web/login", self.log.name)
            # Warm the lazy per-process caches with one request first: CPython 3.11 can fail
            # compiling them from racing threads ("AST constructor recursion depth mismatch").
            requests.post(
                f"{self.url}/sms_two_way/inbound/warm-up", timeout=REQUEST_TIMEOUT
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        stop(self.process)
        self.log.close()


class JsonRpc:
    """``call(model, method, *args, **kwargs)`` as admin, over JSON-RPC (methods may return None)."""

    def __init__(self, url, db, login="admin", password="admin"):
        self.url, self.db, self.password = url, db, password
        self.uid = self._rpc("common", "authenticate", db, login, password, {})
        assert self.uid, f"{login} must log in to {db}"

    def _rpc(self, service, method, *args):
        response = requests.post(
            f"{self.url}/jsonrpc",
            timeout=600,
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": args},
            },
        )
        payload = response.json()
        assert "error" not in payload, payload.get("error")
        return payload.get("result")

    def allow_loopback_provider(self, base_url):
        """Serve webhooks at ``base_url`` and let gateways call a fake provider on 127.0.0.1.

        Gateways accept plain HTTP to loopback only behind this administrator's allowance.
        """
        self("ir.config_parameter", "set_param", "web.base.url", base_url)
        self(
            "ir.config_parameter",
            "set_param",
            "sms_two_way.allow_loopback_http_api",
            "True",
        )

    def __call__(self, model, method, *args, **kwargs):
        return self._rpc(
            "object",
            "execute_kw",
            self.db,
            self.uid,
            self.password,
            model,
            method,
            list(args),
            kwargs,
        )


def pg_connect(command, db):
    """A PostgreSQL connection to ``db`` with the connection options of the Odoo ``command``."""
    options = dict(
        arg[2:].split("=", 1)
        for arg in command
        if arg.startswith("--db_") and "=" in arg
    )
    return psycopg2.connect(
        host=options.get("db_host", "127.0.0.1"),
        port=int(options.get("db_port", 5432)),
        user=options.get("db_user", "odoo"),
        dbname=db,
    )


def signed_post(url, params, token, session=None):
    """POST ``params`` to ``url`` as Twilio would, signed with ``token``."""
    signature = RequestValidator(token).compute_signature(url, params)
    return (session or requests).post(
        url,
        data=params,
        headers={"X-Twilio-Signature": signature},
        timeout=REQUEST_TIMEOUT,
    )


def wait_until(condition, timeout, interval=0.2):
    """Poll ``condition()`` until true; returns the seconds waited, or None on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(interval)
    return None


def wait_while_progressing(remaining, stalled_after, interval=1.0):
    """Poll ``remaining()`` (work left, e.g. messages to process) until it reaches 0.

    A hang detector, not a speed limit: a busy machine may take as long as it
    needs, as long as the work goes down.  Returns the seconds waited, or None
    when ``remaining()`` did not go down for ``stalled_after`` seconds.
    """
    start = last_progress = time.monotonic()
    lowest = remaining()
    while lowest:
        if time.monotonic() - last_progress > stalled_after:
            return None
        time.sleep(interval)
        left = remaining()
        if left < lowest:
            lowest, last_progress = left, time.monotonic()
    return time.monotonic() - start
