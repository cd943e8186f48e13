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
import sys
from pathlib import Path

from browser import system_browser
from webclient import HeadlessChromium, OdooSession

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"


def capture(browser, name):
    path = OUT / f"{name}.png"
    browser.capture(path)
    print(f"  wrote {path.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="sms_two_way_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--chromium", default=system_browser())
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("Chromium is required (Debian: apt-get install chromium).")
    OUT.mkdir(parents=True, exist_ok=True)

    odoo = OdooSession(args.url, args.db, args.login, args.password)
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

    browser = HeadlessChromium(args.chromium)
    try:
        browser.set_cookie(args.url, "session_id", odoo.session_id)
        inbox = f"{args.url}/odoo/action-sms_two_way.sms_conversation_action"
        browser.goto(f"{inbox}/{conversation}", ".o_sms_chat_inbound")
        capture(browser, "sms-chat")
        # Live update: Ada answers while the rep looks at the thread.
        odoo.phone_reply(gateway, number, "Or Friday, whatever suits you")
        seconds = browser.wait(".o_sms_chat_inbound", "whatever suits you")
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
        capture(browser, "sms-composer")
        browser.goto(inbox, ".o_data_row")
        browser.evaluate(
            "document.querySelector('.o_data_row td[name=name]').click()"
        )  # the split view
        browser.wait(".o_sms_inbox_thread .o_sms_chat_bubble")
        capture(browser, "sms-inbox-list")
        browser.goto(f"{inbox}?view_type=kanban", ".o_kanban_record")
        browser.evaluate(
            "document.querySelector('.o_searchview_facet .o_facet_remove')?.click()"
        )
        browser.wait(".o_kanban_record")
        capture(browser, "sms-inbox-kanban")
        browser.goto(f"{args.url}/odoo/contacts/{ada}", ".o-mail-Message")
        capture(browser, "sms-contact")
        campaign = odoo.ref("sms_two_way.sms_campaign_demo_fitness")
        browser.goto(
            f"{args.url}/odoo/action-sms_two_way.sms_campaign_action/{campaign}",
            ".o_form_view",
        )
        capture(browser, "sms-campaign")
        browser.goto(f"{args.url}/sms_two_way/simulator", ".o_sms_simulator_phone")
        capture(browser, "sms-simulator")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
