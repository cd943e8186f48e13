"""Start-up and shut-down of the real Odoo server the end-to-end tests talk to.

Timeouts here detect a hung or crashed server; they never judge speed.  A cold
server on two busy cores may need minutes for its first page, so readiness is
an overall deadline (``SMS_TWO_WAY_E2E_STARTUP_SECONDS``, default 600) over
retried attempts, while a server process that exited fails at once.
"""

import os
import subprocess
import time

import pytest
import requests

STARTUP_SECONDS = float(os.environ.get("SMS_TWO_WAY_E2E_STARTUP_SECONDS", "600"))
REQUEST_TIMEOUT = 300  # one request to a running server: only a hang takes this long
ATTEMPT_TIMEOUT = 30.0  # one readiness poll; a slower answer is retried, not fatal


def log_tail(path, lines=40):
    with open(path, errors="replace") as log:
        return "".join(log.readlines()[-lines:])


def wait_until_ready(
    server,
    url,
    log_path,
    startup_seconds=STARTUP_SECONDS,
    attempt_timeout=ATTEMPT_TIMEOUT,
):
    """Poll ``url`` until it answers 200; fail at once if ``server`` exited.

    Refused connections, read timeouts and 5xx answers (a server still loading)
    are retried until ``startup_seconds`` have passed; any other answer is a
    fault of its own and fails at once.  Every failure quotes the server log.
    """
    deadline = time.monotonic() + startup_seconds
    last_problem = "no answer yet"
    while True:
        if server.poll() is not None:
            pytest.fail(
                f"Odoo exited with status {server.returncode} while starting. "
                f"End of {log_path}:\n{log_tail(log_path)}"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(
                f"Odoo was not ready after {startup_seconds:.0f} s (last attempt: {last_problem}). "
                f"End of {log_path}:\n{log_tail(log_path)}"
            )
        try:
            response = requests.get(
                url, timeout=max(0.1, min(attempt_timeout, remaining))
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            last_problem = f"{error.__class__.__name__}: {error}"
        else:
            if response.status_code == 200:
                return
            if response.status_code < 500:
                pytest.fail(
                    f"{url} answered {response.status_code} while starting. "
                    f"End of {log_path}:\n{log_tail(log_path)}"
                )
            last_problem = f"HTTP {response.status_code}"
        time.sleep(0.5)


def stop(server):
    server.terminate()
    try:
        server.wait(timeout=REQUEST_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
