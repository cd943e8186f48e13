"""Chrome for Testing for the tours when the machine has no browser, tested offline.

A loopback HTTP server plays Chrome for Testing's endpoint: it serves the JSON
list and a zip holding a tiny script that answers ``--version`` like the real
``chrome-headless-shell``.  ``SMS_TWO_WAY_CHROME_FOR_TESTING_URL`` points the
download at it; ``PATH`` is an empty folder, so no system browser is found.
"""

import http.server
import io
import json
import os
import shutil
import sys
import threading
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import bootstrap  # noqa: E402
import browser  # noqa: E402

VERSION = "131.0.6778.85"
ANSWERS_VERSION = "#!/bin/sh\necho 'Google Chrome for Testing 131.0.6778.85'\n"
MISSES_LIBRARY = (
    "#!/bin/sh\necho 'chrome-headless-shell: error while loading shared libraries: "
    "libnss3.so: cannot open shared object file: No such file or directory' >&2\nexit 127\n"
)


def _zip(script):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        info = zipfile.ZipInfo("chrome-headless-shell-linux64/chrome-headless-shell")
        info.external_attr = 0o755 << 16  # as the real archive: executable
        zipped.writestr(info, script)
        zipped.writestr("chrome-headless-shell-linux64/LICENSE", "license\n")
    return buffer.getvalue()


class FakeChromeForTesting:
    """Serves ``/known-good.json`` and ``/shell.zip``; counts the requests of each."""

    def __init__(self, script=ANSWERS_VERSION):
        self.files = {"/shell.zip": _zip(script)}
        self.hits = {}
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                fake.hits[self.path] = fake.hits.get(self.path, 0) + 1
                body = fake.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.files["/known-good.json"] = json.dumps(
            {
                "timestamp": "2024-11-20T00:00:00.000Z",
                "channels": {
                    "Stable": {
                        "channel": "Stable",
                        "version": VERSION,
                        "revision": "1368529",
                        "downloads": {
                            "chrome": [
                                {"platform": "mac-arm64", "url": f"{self.url}/mac.zip"}
                            ],
                            "chrome-headless-shell": [
                                {"platform": "win64", "url": f"{self.url}/win.zip"},
                                {"platform": "linux64", "url": f"{self.url}/shell.zip"},
                            ],
                        },
                    }
                },
            }
        ).encode()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def no_browser_path(tmp_path):
    """A PATH without any browser (the fake's script needs only /bin/sh, named absolutely)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return str(empty)


@pytest.fixture
def fake_endpoint(monkeypatch):
    fake = FakeChromeForTesting()
    monkeypatch.setenv(browser.ENDPOINT_ENV, f"{fake.url}/known-good.json")
    yield fake
    fake.close()


def test_downloads_chrome_for_testing_where_odoo_finds_it(
    tmp_path, fake_endpoint, no_browser_path
):
    devenv = tmp_path / "devenv"
    bin_dir = browser.ensure_browser(devenv, path=no_browser_path)

    assert bin_dir == devenv / "bin"
    found = shutil.which("chromium", path=f"{bin_dir}{os.pathsep}{no_browser_path}")
    assert found == str(bin_dir / "chromium")
    landed = devenv / "chrome-for-testing" / f"{VERSION}-chrome-headless-shell"
    executable = landed / "chrome-headless-shell-linux64" / "chrome-headless-shell"
    assert Path(found).resolve() == executable.resolve()
    assert os.access(executable, os.X_OK)
    assert browser._start_problem(found) is None
    assert fake_endpoint.hits == {"/known-good.json": 1, "/shell.zip": 1}
    assert not list((devenv / "chrome-for-testing").glob("*.part"))

    # Second run: the linked browser starts, nothing is asked of the network.
    assert browser.ensure_browser(devenv, path=no_browser_path) == bin_dir
    assert fake_endpoint.hits == {"/known-good.json": 1, "/shell.zip": 1}


def test_system_browser_wins(tmp_path, fake_endpoint):
    system_bin = tmp_path / "system-bin"
    system_bin.mkdir()
    (system_bin / "chromium").write_text(ANSWERS_VERSION)
    (system_bin / "chromium").chmod(0o755)

    assert browser.ensure_browser(tmp_path / "devenv", path=str(system_bin)) is None
    assert fake_endpoint.hits == {}
    assert not (tmp_path / "devenv").exists()


def test_unreachable_endpoint_gives_one_message(tmp_path, monkeypatch, no_browser_path):
    fake = FakeChromeForTesting()
    url = f"{fake.url}/known-good.json"
    fake.close()  # nothing listens there any more
    monkeypatch.setenv(browser.ENDPOINT_ENV, url)

    with pytest.raises(bootstrap.BootstrapError) as raised:
        browser.ensure_browser(tmp_path / "devenv", path=no_browser_path)
    message = str(raised.value)
    assert url in message
    assert "apt-get install chromium" in message
    assert not (tmp_path / "devenv" / "bin").exists()


def test_browser_that_cannot_start_names_the_missing_library(
    tmp_path, monkeypatch, no_browser_path
):
    fake = FakeChromeForTesting(script=MISSES_LIBRARY)
    monkeypatch.setenv(browser.ENDPOINT_ENV, f"{fake.url}/known-good.json")
    try:
        with pytest.raises(bootstrap.BootstrapError, match="libnss3.so") as raised:
            browser.ensure_browser(tmp_path / "devenv", path=no_browser_path)
    finally:
        fake.close()
    assert "does not start" in str(raised.value)
    assert not (tmp_path / "devenv" / "bin" / "chromium").exists()


def test_damaged_archive_is_refused(tmp_path, fake_endpoint, no_browser_path):
    fake_endpoint.files["/shell.zip"] = fake_endpoint.files["/shell.zip"][:-40]

    with pytest.raises(bootstrap.BootstrapError, match="damaged"):
        browser.ensure_browser(tmp_path / "devenv", path=no_browser_path)
    assert not list((tmp_path / "devenv" / "chrome-for-testing").iterdir())


def test_version_that_is_not_a_plain_name_is_refused(
    tmp_path, fake_endpoint, no_browser_path
):
    listing = json.loads(fake_endpoint.files["/known-good.json"])
    listing["channels"]["Stable"]["version"] = "../../escape"
    fake_endpoint.files["/known-good.json"] = json.dumps(listing).encode()

    with pytest.raises(bootstrap.BootstrapError, match="unexpected version"):
        browser.ensure_browser(tmp_path / "devenv", path=no_browser_path)
    assert fake_endpoint.hits == {"/known-good.json": 1}
