"""A browser for Odoo's tours: the system's Chromium or Chrome, else Chrome for Testing.

Odoo's tour runner (``odoo.tests.common._find_executable``) looks for the names
of :data:`CHROME_NAMES` on ``PATH``.  When none is there, :func:`ensure_browser`
downloads Google's *Chrome for Testing* build of ``chrome-headless-shell`` for
linux64 (no root needed: a zip unpacked into ``.devenv/``), checks that it starts,
and links it as ``.devenv/bin/chromium``; the caller puts that folder first on
the test server's ``PATH``.  System browsers win when present.

The download list comes from Chrome for Testing's official JSON endpoint
(:data:`ENDPOINT`; ``SMS_TWO_WAY_CHROME_FOR_TESTING_URL`` points elsewhere, e.g.
a mirror or the loopback server of ``tests/test_browser.py``).
"""

import os
import platform
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

from bootstrap import BootstrapError

# The names Odoo's browser tests look for, in its order.
CHROME_NAMES = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")
ENDPOINT = (
    "https://googlechromelabs.github.io/chrome-for-testing/"
    "last-known-good-versions-with-downloads.json"
)
ENDPOINT_ENV = "SMS_TWO_WAY_CHROME_FOR_TESTING_URL"
CHANNEL = "Stable"
PLATFORM = "linux64"
# Download name -> executable inside its zip.  The headless shell is all the tours
# need and a third of the full browser's size; the full browser is the fallback.
DOWNLOADS = {
    "chrome-headless-shell": "chrome-headless-shell-linux64/chrome-headless-shell",
    "chrome": "chrome-linux64/chrome",
}
LINK_NAME = "chromium"
TIMEOUT = (15, 60)  # connect, read (seconds) for every request


def system_browser(path=None):
    """Path of the first browser of :data:`CHROME_NAMES` on ``path`` (default ``PATH``), or None."""
    return next(filter(None, (shutil.which(n, path=path) for n in CHROME_NAMES)), None)


def ensure_browser(devenv_dir, path=None):
    """Return a folder to put first on ``PATH`` so Odoo finds a browser, or None.

    None when the system has a browser; else ``<devenv_dir>/bin`` holding
    ``chromium``, downloaded once and reused while it starts.  Raises
    :class:`BootstrapError` with one message when none can be had.
    """
    if system_browser(path):
        return None
    bin_dir = Path(devenv_dir) / "bin"
    link = bin_dir / LINK_NAME
    if link.exists() and _start_problem(link) is None:
        return bin_dir
    executable = _download(Path(devenv_dir) / "chrome-for-testing")
    bin_dir.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(executable)
    return bin_dir


def _unavailable(reason):
    return BootstrapError(
        f"The browser tours need Chromium or Chrome and none of {', '.join(CHROME_NAMES)} "
        f"is on PATH; {reason}\nInstall Chromium (Debian/Ubuntu: apt-get install chromium) "
        "or Google Chrome, or put a folder holding one of those names first on PATH."
    )


def _download(target_root):
    """Fetch, check and unpack Chrome for Testing; return its executable."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise _unavailable(
            f"Chrome for Testing is only fetched for Linux x86-64 (this is "
            f"{platform.system()} {platform.machine()})."
        )
    import requests  # noqa: PLC0415 - installed with the addons' requirements.txt

    endpoint = os.environ.get(ENDPOINT_ENV, ENDPOINT)
    try:
        response = requests.get(endpoint, timeout=TIMEOUT)
        response.raise_for_status()
        version, name, url = _pick_download(response.json())
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise _unavailable(
            f"getting Chrome for Testing's download list from {endpoint} failed ({exc})."
        ) from None
    target = target_root / f"{version}-{name}"
    executable = target / DOWNLOADS[name]
    if not executable.exists():
        _fetch_and_unpack(url, name, version, target_root, target)
    if problem := _start_problem(executable):
        raise _unavailable(
            f"Chrome for Testing {version} was unpacked into {target} but does not start: {problem}"
        )
    return executable


def _pick_download(listing):
    """``(version, download name, url)`` of the first of :data:`DOWNLOADS` for linux64."""
    channel = listing["channels"][CHANNEL]
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z._-]*", channel["version"]):
        # It names a folder under .devenv/: nothing like "../" from a mirror.
        raise ValueError(f"unexpected version {channel['version']!r}")
    for name in DOWNLOADS:
        for entry in channel["downloads"].get(name, ()):
            if entry["platform"] == PLATFORM:
                return channel["version"], name, entry["url"]
    raise KeyError(
        f"no {' or '.join(DOWNLOADS)} for {PLATFORM} in the {CHANNEL} channel"
    )


def _fetch_and_unpack(url, name, version, target_root, target):
    import requests  # noqa: PLC0415

    started = time.monotonic()
    print(
        f"[devenv] no Chromium or Chrome on PATH: downloading Chrome for Testing {version} "
        f"({name}, {PLATFORM}) into {target_root} (once; later runs reuse it)",
        flush=True,
    )
    target_root.mkdir(parents=True, exist_ok=True)
    archive = target_root / f"{version}-{name}.zip.part"
    try:
        with requests.get(url, stream=True, timeout=TIMEOUT) as response:
            response.raise_for_status()
            _save_with_progress(response, archive)
    except requests.RequestException as exc:
        archive.unlink(missing_ok=True)
        raise _unavailable(f"downloading {url} failed ({exc}).") from None
    unpacking = target.with_name(target.name + ".unpacking")
    shutil.rmtree(unpacking, ignore_errors=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            if (broken := zipped.testzip()) is not None:
                raise zipfile.BadZipFile(f"{broken} fails its CRC check")
            zipped.extractall(unpacking)
            # zipfile drops Unix permissions: restore them (the executables' x bits).
            for info in zipped.infolist():
                if mode := (info.external_attr >> 16) & 0o7777:
                    (unpacking / info.filename).chmod(mode)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(unpacking, ignore_errors=True)
        raise _unavailable(f"the archive from {url} is damaged ({exc}).") from None
    finally:
        archive.unlink(missing_ok=True)
    if not (unpacking / DOWNLOADS[name]).is_file():
        shutil.rmtree(unpacking, ignore_errors=True)
        raise _unavailable(f"the archive from {url} has no {DOWNLOADS[name]}.")
    shutil.rmtree(target, ignore_errors=True)
    unpacking.rename(target)
    print(f"    done in {time.monotonic() - started:.0f}s: {target}", flush=True)


def _save_with_progress(response, destination):
    """Write the body to ``destination``, one progress line per tenth (or per 16 MB)."""
    total = int(response.headers.get("Content-Length") or 0)
    step = total // 10 if total else 16 << 20
    of_total = f" of {total >> 20}" if total else ""
    received, next_line = 0, step
    with open(destination, "wb") as out:
        for chunk in response.iter_content(chunk_size=1 << 20):
            out.write(chunk)
            received += len(chunk)
            if received >= next_line:
                next_line += step
                print(f"      {received >> 20}{of_total} MB", flush=True)
    if total and received != total:
        destination.unlink(missing_ok=True)
        raise _unavailable(
            f"the download stopped after {received} of {total} bytes; run the command again."
        )


def _start_problem(executable):
    """None when ``executable --version`` works, else why not (missing shared libraries named)."""
    try:
        run = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if run.returncode == 0:
        return None
    missing = _missing_libraries(executable)
    if missing:
        return (
            f"missing shared libraries {', '.join(missing)} (Debian/Ubuntu: installing the "
            "chromium package brings them, or apt-get install the packages providing them)."
        )
    return (run.stderr or run.stdout).strip()[-500:] or f"exit status {run.returncode}"


def _missing_libraries(executable):
    ldd = shutil.which("ldd")
    if not ldd:
        return []
    out = subprocess.run(
        [ldd, str(executable)], capture_output=True, text=True, timeout=60
    ).stdout
    return [line.split()[0] for line in out.splitlines() if "not found" in line]
