#!/usr/bin/env python3
"""Screenshots of the real screens for the addons' ``static/description/``.

Creates a fresh demo database (the three addons with demo data), lets Ada and
another phone text the simulator gateway so that the inbox has something to
show, serves it, and captures pages in headless Chromium through the DevTools
protocol (``websocket-client``, already needed by Odoo's tours).  Run it with
the same environment as ``make demo``:  ``python3 tools/addon_screenshots.py``.
"""

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bootstrap  # noqa: E402

bootstrap.ensure_odoo([str(Path(__file__).resolve()), *sys.argv[1:]])

import devenv  # noqa: E402
from webclient import HeadlessChromium, OdooSession  # noqa: E402

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
            "--max-cron-threads=1",  # processes the texts, as in production
        )
    )
    for _ in range(240):
        if devenv._port_open(port):
            return server
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("Odoo did not start")


def seed_messages(base):
    """Log in, and text the simulator gateway from two phones; returns the session and record ids."""
    odoo = OdooSession(base, DB)
    gateway = odoo.ref("sms_two_way.sms_gateway_demo_simulator")
    for number, body in TEXTS:
        odoo.phone_reply(gateway, number, body)
    wait_until_processed(odoo)

    def first_id(model, domain):
        return odoo.call(model, "search", domain, limit=1)[0]

    ids = {
        "conversation": first_id("sms.conversation", [["number", "=", TEXTS[0][0]]]),
        "event": first_id("calendar.event", [["name", "ilike", "Ada"]]),
    }
    return odoo.session_id, ids


def wait_until_processed(odoo, seconds=300):
    """The texts are stored at once and processed by the cron worker: wait for it."""
    deadline = time.monotonic() + seconds
    pending = [["process_state", "=", "pending"]]
    while odoo.call("sms.conversation.message", "search_count", pending):
        if time.monotonic() > deadline:
            raise SystemExit(f"The texts were not processed in {seconds} s")
        time.sleep(0.5)


def shoot(browser, url, target):
    """Capture ``url`` once loaded (the web client: once its view is there)."""
    browser.send("Page.navigate", url=url)
    browser.wait(".o_view_controller" if "/odoo/" in url else "body")
    time.sleep(2)  # let the web client finish rendering
    browser.capture(target)
    print(f"wrote {target.relative_to(devenv.ROOT)}", flush=True)


def main():
    odoo = devenv.check_odoo()
    devenv.ensure_postgres()
    port = devenv.free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(odoo, port)
    browser = None
    try:
        session_id, ids = seed_messages(base)
        devenv.provide_browser()  # the system's Chromium, else Chrome for Testing
        browser = HeadlessChromium(devenv.browser.system_browser(), *SIZE)
        browser.set_cookie(base, "session_id", session_id)
        for addon, name, path in SHOTS:
            shoot(
                browser,
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
