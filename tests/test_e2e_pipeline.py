"""End-to-end: many inbound SMS, each redelivered concurrently, against a real server with cron workers.

The server runs as in production (prefork: 2 HTTP workers, 2 cron workers)
and, besides the processing cron the webhooks trigger, a second cron runs
the same processing, each in 2 lanes, so four transactions really compete
for the queue.  Every
message must be stored once, processed once, and the messages of one
conversation processed in the order they were stored.  ``make test`` runs
this after the Odoo suite (``SMS_TWO_WAY_E2E_DB``); ``SMS_TWO_WAY_E2E_MESSAGES``
changes the number of messages (1,000 by default).
"""

import os
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from e2e_server import REQUEST_TIMEOUT
from odoo_server import (
    JsonRpc,
    OdooServer,
    load_fake_twilio,
    signed_post,
    wait_until,
    wait_while_progressing,
)

pytestmark = pytest.mark.e2e

AUTH_TOKEN = "e2e-pipeline-token"
MESSAGES = int(os.environ.get("SMS_TWO_WAY_E2E_MESSAGES", "1000"))
CONTACTS = max(1, MESSAGES // 10)  # ten messages per conversation: ordering matters


@pytest.fixture(scope="module")
def server():
    odoo = OdooServer.from_environment(
        "e2e-pipeline-odoo.log", workers=2, cron_workers=2
    )
    yield odoo, JsonRpc(odoo.url, odoo.db)
    odoo.stop()


def test_redelivered_messages_are_stored_once_and_processed_once_in_order(server):
    odoo, rpc = server
    rpc.allow_loopback_provider(odoo.url)
    # Each cron worker processes in 2 lanes (threads with their own transactions): 4 at once.
    rpc("ir.config_parameter", "set_param", "sms_two_way.processing_lanes", "2")
    run = uuid.uuid4().hex[:8]
    with load_fake_twilio()(auth_token=AUTH_TOKEN) as fake:
        gateway_id = rpc(
            "sms.gateway",
            "create",
            {
                "name": f"E2E pipeline {run}",
                "provider": "twilio",
                "sequence": -20,
                "twilio_account_sid": fake.account_sid,
                "twilio_auth_token": AUTH_TOKEN,
                "twilio_from_number": "+3225550166",
                "api_base_url": fake.base_url,
            },
        )
        # A copy of the processing cron (same code, same user), as docs/architecture.md advises
        # for processing several conversations at once.
        [cron_xmlid] = rpc(
            "ir.model.data",
            "search_read",
            [
                ("module", "=", "sms_two_way"),
                ("name", "=", "ir_cron_sms_two_way_process_inbound"),
            ],
            ["res_id"],
        )
        second_cron = rpc(
            "ir.cron",
            "copy",
            cron_xmlid["res_id"],
            {"name": f"E2E second processing cron {run}", "lastcall": False},
        )
        second_cron = second_cron[0] if isinstance(second_cron, list) else second_cron
        try:
            _run(odoo, rpc, run, gateway_id, second_cron)
        finally:
            rpc("sms.gateway", "write", [gateway_id], {"active": False})
            _remove_cron(rpc, second_cron)


def _remove_cron(rpc, cron_id):
    """Remove the extra cron, waiting for a job it is running to end (Odoo refuses meanwhile)."""

    def removed():
        try:
            rpc("ir.cron", "unlink", [cron_id])
        except AssertionError as error:
            if "currently being executed" not in str(error):
                raise
            return False
        return True

    assert wait_until(removed, timeout=600, interval=2) is not None, (
        "the extra processing cron stayed busy for 10 minutes"
    )


def _run(odoo, rpc, run, gateway_id, second_cron):
    [inbound_url] = [
        v["inbound_url"]
        for v in rpc("sms.gateway", "read", [gateway_id], ["inbound_url"])
    ]
    block = (
        int(run, 16) % 900 + 100
    )  # numbers of this run only: earlier runs' contacts keep theirs
    numbers = [f"+32475{block:03d}{index:03d}" for index in range(CONTACTS)]
    partner_ids = rpc(
        "res.partner",
        "create",
        [
            {"name": f"E2E {run} {index}", "mobile": number}
            for index, number in enumerate(numbers)
        ],
    )
    messages = [
        {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "From": numbers[index % CONTACTS],
            "To": "+3225550166",
            "Body": f"E2E {run} #{index}",
            "NumMedia": "0",
        }
        for index in range(MESSAGES)
    ]

    def deliver(params):
        """The provider delivers it twice at once (a redelivery racing the first delivery)."""
        with ThreadPoolExecutor(max_workers=2) as pair:
            return [
                response.status_code
                for response in pair.map(
                    lambda _copy: signed_post(inbound_url, params, AUTH_TOKEN), range(2)
                )
            ]

    def wake_second_cron():
        rpc(
            "ir.cron.trigger",
            "create",
            {"cron_id": second_cron, "call_at": "2000-01-01 00:00:00"},
        )

    wake_second_cron()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [status for pair in pool.map(deliver, messages) for status in pair]
        wake_second_cron()
    assert statuses == [200] * (2 * MESSAGES)

    domain = [("gateway_id", "=", gateway_id), ("direction", "=", "inbound")]
    assert rpc("sms.conversation.message", "search_count", domain) == MESSAGES, (
        "stored once"
    )
    # However slow the machine, the backlog must keep going down (a stall of 10 minutes is a hang).
    drained = wait_while_progressing(
        lambda: rpc(
            "sms.conversation.message",
            "search_count",
            domain + [("process_state", "=", "pending")],
        ),
        stalled_after=600,
    )
    assert drained is not None, "every acknowledged message is processed"
    assert (
        rpc(
            "sms.conversation.message",
            "search_count",
            domain + [("process_state", "=", "done")],
        )
        == MESSAGES
    )

    # Processed once: one chatter post per message on its contact.
    posts = rpc(
        "mail.message",
        "search_read",
        [
            ("model", "=", "res.partner"),
            ("res_id", "in", partner_ids),
            ("message_type", "=", "comment"),
            ("body", "ilike", f"E2E {run} #"),
        ],
        ["res_id"],
    )
    assert len(posts) == MESSAGES, "processed once"

    # In order: within a conversation, chatter posts follow the order in which messages were stored.
    stored = rpc(
        "sms.conversation.message",
        "search_read",
        domain,
        ["conversation_id", "mail_message_id"],
        order="id",
    )
    by_conversation = defaultdict(list)
    for message in stored:
        by_conversation[message["conversation_id"][0]].append(
            message["mail_message_id"][0]
        )
    assert len(by_conversation) == CONTACTS
    for conversation_posts in by_conversation.values():
        assert conversation_posts == sorted(conversation_posts)
    [second] = rpc("ir.cron", "read", [second_cron], ["lastcall"])
    assert second["lastcall"], "the second processing cron ran too"
    assert (
        requests.get(f"{odoo.url}/web/login", timeout=REQUEST_TIMEOUT).status_code
        == 200
    )
