#!/usr/bin/env python3
"""Screenshots of the SMS screens for ``docs/``, taken from the demo database.

Start the demo first (``make demo PORT=8069``), then run::

    python3 tools/screenshots.py --url http://localhost:8069

The script logs in as admin, plays a short exchange with the demo contact Ada
through the simulator (a text from the rep, an answer from Ada's phone),
opens each screen in headless Chromium (Chrome DevTools Protocol) and writes
PNG files to ``docs/img/``.  While the chat is open it also makes Ada answer
again and checks that her text appears without a reload (the live update of
the bus): the script fails if it does not.
"""

import argparse
import base64
import itertools
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
TIMEOUT = 10  # seconds, every HTTP call


class Odoo:
    """JSON-RPC as the logged-in user, the same calls the web client makes."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.ids = itertools.count(1)
        params = {"db": db, "login": login, "password": password}
        self.rpc("/web/session/authenticate", params)

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
        """Answer from a simulated phone, as the simulator page's form does."""
        page = self.session.get(
            f"{self.url}/sms_two_way/simulator", timeout=TIMEOUT
        ).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        self.session.post(
            f"{self.url}/sms_two_way/simulator/reply",
            timeout=TIMEOUT,
            data={
                "csrf_token": token,
                "gateway_id": gateway_id,
                "number": number,
                "body": body,
            },
        )


class Browser:
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
        for _attempt in range(100):
            try:
                targets = requests.get(
                    f"http://127.0.0.1:{port}/json", timeout=TIMEOUT
                ).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.1)
        else:
            raise RuntimeError("Chromium did not start")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.ids = itertools.count(1)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Page.enable")

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

    def wait(self, selector, text=None, timeout=60):
        """Wait for ``selector`` (containing ``text``) and for the page to settle."""
        check = f"""[...document.querySelectorAll({json.dumps(selector)})]
                    .some(el => {json.dumps(text or "")} === "" || el.textContent.includes({json.dumps(text or "")}))"""
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

    def capture(self, name):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path = OUT / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        print(f"  wrote {path.relative_to(ROOT)}")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="sms_two_way_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument(
        "--chromium", default=shutil.which("chromium") or shutil.which("google-chrome")
    )
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("Chromium is required (Debian: apt-get install chromium).")
    OUT.mkdir(parents=True, exist_ok=True)

    odoo = Odoo(args.url, args.db, args.login, args.password)
    # Best on a fresh demo database (make demo RESET=1): each run adds one reply from Ada.
    ada = odoo.ref("sms_two_way.res_partner_demo_ada")
    gateway = odoo.ref("sms_two_way.sms_gateway_demo_simulator")
    conversation = odoo.call("res.partner", "action_open_sms_conversation", [ada])[
        "res_id"
    ]
    [number] = [
        c["number"]
        for c in odoo.call("sms.conversation", "read", [conversation], ["number"])
    ]
    thread = odoo.call("sms.conversation", "get_chat_thread", [conversation])
    if not any(
        message["direction"] == "inbound" for message in thread["messages"]
    ):  # once per database
        odoo.call(
            "sms.conversation",
            "send_chat_reply",
            [conversation],
            "Hi {name}, your order is ready. Shall we deliver it tomorrow morning?",
        )
        odoo.phone_reply(gateway, number, "Can you come at 5pm instead?")

    browser = Browser(args.chromium)
    try:
        browser.set_cookie(args.url, "session_id", odoo.session.cookies["session_id"])
        inbox = f"{args.url}/odoo/action-sms_two_way.sms_conversation_action"
        browser.goto(f"{inbox}/{conversation}", ".o_sms_chat_inbound")
        browser.capture("sms-chat")
        # Live update: Ada answers while the rep looks at the thread.
        odoo.phone_reply(gateway, number, "Or Friday, whatever suits you")
        seconds = browser.wait(".o_sms_chat_inbound", "whatever suits you", timeout=15)
        print(
            f"  live update: Ada's answer appeared without reload after {seconds:.1f}s"
        )
        browser.type(
            ".o_sms_chat_input", "Friday 4pm works, see you then {name}! It’s on us"
        )
        browser.wait(".o_sms_chat_ucs2")
        browser.evaluate(
            "document.querySelector('.o_sms_chat_composer').scrollIntoView({block: 'end'})"
        )
        browser.capture("sms-composer")
        browser.goto(inbox, ".o_data_row")
        browser.evaluate(
            "document.querySelector('.o_data_row td[name=name]').click()"
        )  # the split view
        browser.wait(".o_sms_inbox_thread .o_sms_chat_bubble")
        browser.capture("sms-inbox-list")
        browser.goto(f"{inbox}?view_type=kanban", ".o_kanban_record")
        browser.evaluate(
            "document.querySelector('.o_searchview_facet .o_facet_remove')?.click()"
        )
        browser.wait(".o_kanban_record")
        browser.capture("sms-inbox-kanban")
        browser.goto(f"{args.url}/odoo/contacts/{ada}", ".o-mail-Message")
        browser.capture("sms-contact")
        campaign = odoo.ref("sms_two_way.sms_campaign_demo_fitness")
        browser.goto(
            f"{args.url}/odoo/action-sms_two_way.sms_campaign_action/{campaign}",
            ".o_form_view",
        )
        browser.capture("sms-campaign")
        browser.goto(f"{args.url}/sms_two_way/simulator", ".o_sms_simulator_phone")
        browser.capture("sms-simulator")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
