"""End-to-end: a real Odoo server (no test mode, real transactions) behind real HTTP.

Odoo's own HttpCase serializes requests on one test cursor, so true concurrency
(duplicate redeliveries racing each other) is only visible against a real
server.  ``make test`` runs these after the Odoo suite, on its database, with
``SMS_TWO_WAY_E2E_DB`` set; plain ``pytest tests`` leaves them out.
"""

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from e2e_server import REQUEST_TIMEOUT
from odoo_server import (
    JsonRpc,
    OdooServer,
    load_fake_twilio,
    pg_connect,
    signed_post,
    wait_until,
)

pytestmark = pytest.mark.e2e

AUTH_TOKEN = "e2e-auth-token"


@pytest.fixture(scope="module")
def rpc():
    """One threaded server, no cron: these tests look at the webhooks themselves."""
    server = OdooServer.from_environment("e2e-odoo.log", workers=0, cron_workers=0)
    call = JsonRpc(server.url, server.db)
    call.allow_loopback_provider(server.url)
    yield call
    server.stop()


@pytest.fixture(scope="module")
def gateway(rpc):
    gateway_id = rpc(
        "sms.gateway",
        "create",
        {
            "name": f"E2E {uuid.uuid4().hex[:6]}",
            "provider": "twilio",
            "sequence": 0,
            "twilio_account_sid": "AC" + "e" * 32,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from_number": "+3225550199",
            "api_base_url": "http://127.0.0.1:9",
        },
    )
    [values] = rpc("sms.gateway", "read", [gateway_id], ["inbound_url"])
    yield gateway_id, values["inbound_url"]
    rpc("sms.gateway", "unlink", [gateway_id])


def _signed_post(url, params, token=AUTH_TOKEN):
    return signed_post(url, params, token)


def _params(sender, body, sid=None):
    return {
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "From": sender,
        "To": "+3225550199",
        "Body": body,
        "NumMedia": "0",
    }


def _count(rpc, gateway_id, **domain):
    terms = [["gateway_id", "=", gateway_id]] + [[k, "=", v] for k, v in domain.items()]
    return rpc("sms.conversation.message", "search_count", terms)


def test_duplicate_redelivered_five_times_concurrently_is_stored_once(rpc, gateway):
    gateway_id, url = gateway
    params = _params("+32470555001", "Racing duplicates")
    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = [
            r.status_code
            for r in pool.map(lambda _i: _signed_post(url, params), range(5))
        ]
    assert statuses == [200] * 5
    assert _count(rpc, gateway_id, provider_sid=params["MessageSid"]) == 1


def test_first_messages_of_a_new_number_racing_share_one_conversation(rpc, gateway):
    gateway_id, url = gateway
    sender = "+32470555002"
    messages = [_params(sender, f"Message {index}") for index in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = [
            r.status_code for r in pool.map(lambda p: _signed_post(url, p), messages)
        ]
    assert statuses == [200] * 4
    assert _count(rpc, gateway_id, direction="inbound", number=sender) == 4
    conversations = rpc(
        "sms.conversation",
        "search_count",
        [["gateway_id", "=", gateway_id], ["number", "=", sender]],
    )
    assert conversations == 1


@pytest.fixture
def database(rpc):
    """Two connections of our own to the server's database: one holds locks, one watches."""
    command = os.environ["SMS_TWO_WAY_E2E_ODOO"].split("\x1f")
    holder, watcher = pg_connect(command, rpc.db), pg_connect(command, rpc.db)
    watcher.autocommit = True
    yield holder, watcher
    holder.close()  # rolls back what it holds
    watcher.close()


def _backends_blocked_by(pg, pid):
    """The server connections waiting for a lock held by the backend ``pid``."""
    with pg.cursor() as cr:
        cr.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            [pid],
        )
        return [row[0] for row in cr.fetchall()]


def _wait_answered_or_blocked(request_done, watcher, pid):
    """Wait until the request is answered or some server connection waits for ``pid``."""
    outcome = wait_until(
        lambda: request_done.done() or _backends_blocked_by(watcher, pid),
        REQUEST_TIMEOUT,
    )
    assert outcome is not None, "the request neither finished nor waited for a lock"


def test_texts_of_one_number_commit_in_the_order_of_their_ids(rpc, gateway, database):
    """A second text of a number waits for the first one's commit before it is stored.

    The first webhook is held open after it drew its message id: our own
    connection inserted, uncommitted, a row with the same provider id, so
    the webhook's insert waits on the unique index.  Meanwhile a text from
    another number is stored at once, and the next text of the same number
    is not: it waits for the first webhook, so it gets the larger id and
    commits after it, and no snapshot sees it without the first one.
    """
    gateway_id, url = gateway
    sender = "+32470555004"
    assert _signed_post(url, _params(sender, "Hello")).status_code == 200
    [conversation_id] = rpc(
        "sms.conversation",
        "search",
        [["gateway_id", "=", gateway_id], ["number", "=", sender]],
    )
    first, second = _params(sender, "First"), _params(sender, "Second")
    other = _params("+32470555005", "Another number")
    pg, watcher = database
    with pg.cursor() as cr:
        cr.execute("SELECT pg_backend_pid()")
        [holder] = cr.fetchone()
        cr.execute(
            """INSERT INTO sms_conversation_message
                      (conversation_id, gateway_id, direction, state, provider_sid)
               VALUES (%s, %s, 'inbound', 'received', %s)""",
            [conversation_id, gateway_id, first["MessageSid"]],
        )
    with ThreadPoolExecutor(max_workers=3) as pool:
        try:
            first_done = pool.submit(_signed_post, url, first)
            first_waits = wait_until(
                lambda: _backends_blocked_by(watcher, holder), REQUEST_TIMEOUT
            )
            assert first_waits is not None, "the first webhook inserts its message"
            [first_backend] = _backends_blocked_by(watcher, holder)

            other_done = pool.submit(_signed_post, url, other)
            _wait_answered_or_blocked(other_done, watcher, first_backend)
            assert other_done.done(), "another number does not wait for the first text"
            assert other_done.result().status_code == 200
            assert _count(rpc, gateway_id, provider_sid=other["MessageSid"]) == 1

            second_done = pool.submit(_signed_post, url, second)
            _wait_answered_or_blocked(second_done, watcher, first_backend)
            assert not second_done.done(), (
                "the second text of the number was answered while the first was still open"
            )
            assert _count(rpc, gateway_id, provider_sid=second["MessageSid"]) == 0
        finally:
            pg.rollback()  # the first webhook goes on
        assert first_done.result().status_code == 200
        assert second_done.result().status_code == 200
    ids = {
        values["provider_sid"]: values["id"]
        for values in rpc(
            "sms.conversation.message",
            "search_read",
            [["provider_sid", "in", [first["MessageSid"], second["MessageSid"]]]],
            ["provider_sid"],
        )
    }
    assert ids[first["MessageSid"]] < ids[second["MessageSid"]]


def test_forged_request_is_rejected_and_stores_nothing(rpc, gateway):
    gateway_id, url = gateway
    params = _params("+32470555003", "Forged")
    response = _signed_post(url, params, token="not-the-token")
    assert response.status_code == 403
    assert "Traceback" not in response.text
    assert _count(rpc, gateway_id, provider_sid=params["MessageSid"]) == 0


def test_queued_sms_sent_concurrently_reaches_the_provider_once(rpc):
    """Crons and users racing on one queued SMS: only the transaction holding its lock sends it."""
    with load_fake_twilio()(auth_token=AUTH_TOKEN) as fake:
        fake.delay_seconds = (
            0.5  # every sender is still talking to the provider when the others start
        )
        gateway_id = rpc(
            "sms.gateway",
            "create",
            {
                "name": "E2E send",
                "provider": "twilio",
                "sequence": -1,
                "twilio_account_sid": fake.account_sid,
                "twilio_auth_token": AUTH_TOKEN,
                "twilio_from_number": "+3225550198",
                "api_base_url": fake.base_url,
            },
        )
        try:
            numbers = [f"+3247055510{index}" for index in range(3)]
            # Existing conversations: nothing else serializes the senders.
            rpc(
                "sms.conversation",
                "create",
                [
                    {"gateway_id": gateway_id, "company_id": 1, "number": number}
                    for number in numbers
                ],
            )
            # "direct": quiet hours must not defer them, whatever the hour of the run.
            sms_ids = [
                rpc(
                    "sms.sms",
                    "create",
                    {
                        "number": number,
                        "body": f"Race {index}",
                        "gateway_id": gateway_id,
                        "sms_two_way_category": "direct",
                    },
                )
                for index, number in enumerate(numbers)
            ]
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda _i: rpc("sms.sms", "send", sms_ids), range(4)))
            bodies = sorted(form["Body"] for form in fake.message_requests())
            assert bodies == ["Race 0", "Race 1", "Race 2"]
        finally:
            rpc("sms.gateway", "write", [gateway_id], {"active": False})
