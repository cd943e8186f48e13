#!/usr/bin/env python3
"""Screenshots of the real screens for the addons' ``static/description/``.

Creates a fresh demo database (the three addons with demo data), lets Ada and
another phone text the simulator gateway so that the inbox has something to
show, serves it, and captures pages in headless Chromium through the DevTools
protocol (``websocket-client``, already needed by Odoo's tours).  Run it with
the same environment as ``make demo``:  ``python3 tools/addon_screenshots.py``.
"""

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bootstrap  # noqa: E402

bootstrap.ensure_odoo([str(Path(__file__).resolve()), *sys.argv[1:]])

import devenv  # noqa: E402
import requests  # noqa: E402
import websocket  # noqa: E402

DB = "sms_two_way_screenshots"
SIZE = (1280, 800)
# (addon, file name, URL path): the screens each addon's page shows.
SHOTS = [
    ("sms_two_way", "inbox.png", "/odoo/action-sms_two_way.sms_conversation_action"),
    (
        "sms_two_way",
        "conversation.png",
        "/odoo/action-sms_two_way.sms_conversation_action/{conversation}",
    ),
    ("sms_two_way", "simulator.png", "/sms_two_way/simulator"),
    ("sms_two_way", "keywords.png", "/odoo/action-sms_two_way.sms_keyword_action"),
    ("sms_two_way", "campaigns.png", "/odoo/action-sms_two_way.sms_campaign_action"),
    (
        "sms_two_way_appointment",
        "appointment.png",
        "/odoo/action-calendar.action_calendar_event/{event}",
    ),
    ("sms_two_way_survey", "surveys.png", "/odoo/action-survey.action_survey_form"),
]
TEXTS = [
    ("+32470123456", "Hello, can I come on Friday instead?"),
    ("+32470999888", "JOIN FIT"),
]


def start_server(odoo, port):
    devenv.install_fresh_database(odoo, DB, ",".join(devenv.ADDONS), demo=True)
    server = subprocess.Popen(
        devenv.odoo_command(
            odoo,
            DB,
            "--log-level=warn",
            f"--http-port={port}",
            "--http-interface=127.0.0.1",
            "--workers=0",
            "--max-cron-threads=0",
        )
    )
    for _ in range(240):
        if devenv._port_open(port):
            return server
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("Odoo did not start")


def seed_messages(base):
    """Log in, and text the simulator gateway the way its page does."""
    session = requests.Session()
    session.post(
        f"{base}/web/session/authenticate",
        timeout=60,
        json={
            "jsonrpc": "2.0",
            "params": {"db": DB, "login": "admin", "password": "admin"},
        },
    ).raise_for_status()
    page = session.get(f"{base}/sms_two_way/simulator", timeout=60).text
    csrf = re.search(r'name="csrf_token"\s+value="([^"]+)"', page)[1]
    gateway = re.search(r'name="gateway_id" value="(\d+)"', page)[1]
    for number, body in TEXTS:
        session.post(
            f"{base}/sms_two_way/simulator/reply",
            timeout=60,
            data={
                "csrf_token": csrf,
                "gateway_id": gateway,
                "number": number,
                "body": body,
            },
        ).raise_for_status()

    def first_id(model, domain):
        answer = session.post(
            f"{base}/web/dataset/call_kw",
            timeout=60,
            json={
                "jsonrpc": "2.0",
                "params": {
                    "model": model,
                    "method": "search",
                    "args": [domain],
                    "kwargs": {"limit": 1},
                },
            },
        ).json()
        return answer["result"][0]

    ids = {
        "conversation": first_id("sms.conversation", [["number", "=", TEXTS[0][0]]]),
        "event": first_id("calendar.event", [["name", "ilike", "Ada"]]),
    }
    return session.cookies["session_id"], ids


class Browser:
    """Headless Chromium driven through one DevTools websocket."""

    def __init__(self):
        chrome = devenv.browser.system_browser()
        if not chrome:
            raise SystemExit(
                "Chromium is needed for the screenshots (apt-get install chromium)."
            )
        self.profile = tempfile.mkdtemp(prefix="sms-two-way-shots-")
        port = devenv.free_port()
        self.proc = subprocess.Popen(
            [
                chrome,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={SIZE[0]},{SIZE[1]}",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                targets = requests.get(
                    f"http://127.0.0.1:{port}/json/list", timeout=5
                ).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.2)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def shoot(self, url, target):
        self.call("Page.navigate", url=url)
        ready = "document.readyState === 'complete' && !document.querySelector('.o_loading_indicator, .o_blockUI')"
        if "/odoo/" in url:  # the web client: wait for the view itself
            ready += " && !!document.querySelector('.o_view_controller')"
        for _ in range(240):
            time.sleep(0.5)
            if self.call("Runtime.evaluate", expression=ready)["result"].get("value"):
                break
        else:
            raise SystemExit(
                f"{url} did not finish loading in 2 minutes: no screenshot taken"
            )
        time.sleep(2)  # let the web client finish rendering
        png = self.call("Page.captureScreenshot", format="png")["data"]
        target.write_bytes(base64.b64decode(png))
        print(f"wrote {target.relative_to(devenv.ROOT)}", flush=True)

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    odoo = devenv.check_odoo()
    devenv.ensure_postgres()
    port = devenv.free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(odoo, port)
    browser = None
    try:
        session_id, ids = seed_messages(base)
        browser = Browser()
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            width=SIZE[0],
            height=SIZE[1],
            deviceScaleFactor=1,
            mobile=False,
        )
        browser.call("Network.enable")
        browser.call(
            "Network.setCookie",
            name="session_id",
            value=session_id,
            domain="127.0.0.1",
            path="/",
        )
        for addon, name, path in SHOTS:
            browser.shoot(
                base + path.format(**ids),
                devenv.ROOT / addon / "static" / "description" / name,
            )
    finally:
        if browser:
            browser.close()
        server.terminate()
        server.wait(30)
        devenv.drop_database(DB)


if __name__ == "__main__":
    main()
