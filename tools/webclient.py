"""What the screenshot scripts share: a web session on Odoo and a headless Chromium.

``tools/screenshots.py`` (``docs/img`` from a running demo) and
``tools/addon_screenshots.py`` (each addon's ``static/description`` from a
fresh demo database) both log in, text the simulator as a phone would and
capture pages through the Chrome DevTools Protocol (``websocket-client``,
already needed by Odoo's tours).
"""

import base64
import itertools
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time

import requests
import websocket

TIMEOUT = 60  # seconds, every HTTP call: only a hang takes this long


class OdooSession:
    """JSON-RPC as the logged-in user, the same calls the web client makes."""

    def __init__(self, url, db, login="admin", password="admin"):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.ids = itertools.count(1)
        self.rpc(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )

    @property
    def session_id(self):
        return self.session.cookies["session_id"]

    def rpc(self, path, params):
        response = self.session.post(
            self.url + path,
            timeout=TIMEOUT,
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": next(self.ids),
                "params": params,
            },
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RuntimeError(json.dumps(body["error"])[:500])
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        [data] = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["res_id"],
        )
        return data["res_id"]

    def phone_reply(self, gateway_id, number, body):
        """Text ``gateway_id`` from the phone ``number``, as the simulator page's form does."""
        page = self.session.get(
            f"{self.url}/sms_two_way/simulator", timeout=TIMEOUT
        ).text
        token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page)[1]
        self.session.post(
            f"{self.url}/sms_two_way/simulator/reply",
            timeout=TIMEOUT,
            data={
                "csrf_token": token,
                "gateway_id": gateway_id,
                "number": number,
                "body": body,
            },
        ).raise_for_status()


class HeadlessChromium:
    """Just enough of the Chrome DevTools Protocol: navigate, wait, type, capture."""

    def __init__(self, chromium, width=1400, height=1000):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.profile = tempfile.mkdtemp(prefix="sms-screens-")
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            page = self._first_page(port)
            self.ws = websocket.create_connection(
                page["webSocketDebuggerUrl"], timeout=TIMEOUT
            )
        except BaseException:
            self._stop_process()
            raise
        self.ids = itertools.count(1)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Page.enable")

    def _first_page(self, port, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                targets = requests.get(
                    f"http://127.0.0.1:{port}/json", timeout=TIMEOUT
                ).json()
                return next(t for t in targets if t["type"] == "page")
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.2)
        raise RuntimeError(f"Chromium did not start in {seconds} s")

    def send(self, method, **params):
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        return result.get("result", {}).get("value")

    def set_cookie(self, url, name, value):
        self.send("Network.setCookie", url=url, name=name, value=value)

    def goto(self, url, selector):
        self.send("Page.navigate", url=url)
        return self.wait(selector)

    def wait(self, selector, text=None, timeout=120):
        """Wait for ``selector`` (containing ``text``), then for the page to settle.

        ``timeout`` only detects a hang; returns the seconds waited.
        """
        check = f"""[...document.querySelectorAll({json.dumps(selector)})]
                    .some(el => {json.dumps(text or "")} === "" || el.textContent.includes({json.dumps(text or "")}))
                    && !document.querySelector('.o_loading_indicator, .o_blockUI')"""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.evaluate(check):
                time.sleep(0.8)  # let images and fonts finish
                return time.monotonic() - start
            time.sleep(0.2)
        raise RuntimeError(f"{selector!r} {text or ''} did not appear in {timeout}s")

    def type(self, selector, text):
        self.evaluate(f"""(() => {{ const el = document.querySelector({json.dumps(selector)});
            el.focus(); el.value = {json.dumps(text)};
            el.dispatchEvent(new Event("input", {{bubbles: true}})); }})()""")

    def capture(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        self.ws.close()
        self._stop_process()

    def _stop_process(self):
        self.process.terminate()
        self.process.wait(30)
        shutil.rmtree(self.profile, ignore_errors=True)
