"""The end-to-end server fixture tells a slow start from a crash (plain pytest, no Odoo)."""

import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from e2e_server import wait_until_ready


class SlowStartingServer:
    """Answers like a cold Odoo: first too slowly for one attempt, then 503, then 200."""

    def __init__(self, answers, port=0):
        self.answers = list(
            answers
        )  # ("hang", seconds) or (status, None), last one repeats
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_GET(self):
                kind, seconds = owner.answers[
                    min(owner.requests, len(owner.answers) - 1)
                ]
                owner.requests += 1
                if kind == "hang":
                    time.sleep(seconds)
                    kind = 200
                self.send_response(kind)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/web/login"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def process(tmp_path):
    """A stand-in for the Odoo process, writing to a log file."""
    started = []

    def start(code):
        log_path = tmp_path / "server.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT
            )
        started.append(proc)
        return proc, str(log_path)

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_read_timeout_and_5xx_while_loading_are_retried(process):
    server = SlowStartingServer([("hang", 1.5), (503, None), (200, None)])
    proc, log_path = process("import time; time.sleep(120)")
    try:
        wait_until_ready(
            proc, server.url, log_path, startup_seconds=60, attempt_timeout=0.5
        )
    finally:
        server.close()
    assert server.requests >= 3


def test_refused_connections_are_retried_until_the_server_listens(process):
    port = _free_port()
    proc, log_path = process("import time; time.sleep(120)")
    servers = []
    threading.Timer(
        1.5, lambda: servers.append(SlowStartingServer([(200, None)], port=port))
    ).start()
    try:
        wait_until_ready(
            proc, f"http://127.0.0.1:{port}/web/login", log_path, startup_seconds=60
        )
    finally:
        time.sleep(0.1)
        for server in servers:
            server.close()
    assert servers and servers[0].requests == 1


def test_crash_fails_at_once_with_the_log(process):
    proc, log_path = process(
        "print('Traceback: registry failed to load', flush=True); raise SystemExit(3)"
    )
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception) as failure:
        wait_until_ready(
            proc,
            f"http://127.0.0.1:{_free_port()}/web/login",
            log_path,
            startup_seconds=600,
        )
    assert time.monotonic() - started < 300, (
        "a crash must not wait for the start-up deadline"
    )
    assert "exited with status 3" in str(failure.value)
    assert "registry failed to load" in str(failure.value)


def test_deadline_fails_with_the_last_problem_and_the_log(process):
    proc, log_path = process(
        "print('still loading modules', flush=True); import time; time.sleep(120)"
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        wait_until_ready(
            proc,
            f"http://127.0.0.1:{_free_port()}/web/login",
            log_path,
            startup_seconds=2,
        )
    assert "not ready after 2 s" in str(failure.value)
    assert "ConnectionError" in str(failure.value)
    assert "still loading modules" in str(failure.value)


def test_a_client_error_is_not_retried(process):
    server = SlowStartingServer([(404, None)])
    proc, log_path = process("import time; time.sleep(120)")
    try:
        with pytest.raises(pytest.fail.Exception, match="answered 404"):
            wait_until_ready(proc, server.url, log_path, startup_seconds=600)
    finally:
        server.close()
    assert server.requests == 1


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
