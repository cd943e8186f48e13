"""Benchmark the message pipeline on a real Odoo server (``make bench``).

A real server (2 HTTP workers, 1 cron worker) on a database with the addons,
a fake Twilio on loopback, and a load generator on the same machine.  Every
figure is printed next to a baseline measured in the same run; nothing
passes or fails (targets: docs/architecture.md).

* webhook: signed inbound webhooks vs Odoo's own ``/web/login`` (req/s, p50, p99);
* backlog drain: inbound messages processed per second by the cron worker;
* outbound: SMS per second at 50 ms provider latency vs a sequential SDK loop;
* broadcast: 10,000 recipients (queue time, send rate, cron worker RSS growth);
* new number: processing time of messages from new numbers with 2,000 vs
  200,000 contacts.

Run by ``tools/devenv.py bench`` (which prepares the database and passes
``SMS_TWO_WAY_BENCH_DB`` / ``SMS_TWO_WAY_BENCH_ODOO``).  Sizes can be reduced
with ``SMS_TWO_WAY_BENCH_SCALE`` (e.g. 0.1) on a slow machine.
"""

import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from odoo_server import (  # noqa: E402
    JsonRpc,
    OdooServer,
    load_fake_twilio,
    pg_connect,
    signed_post,
    wait_until,
)

AUTH_TOKEN = "bench-auth-token"
SCALE = float(os.environ.get("SMS_TWO_WAY_BENCH_SCALE", "1"))
CONCURRENCY = 20
LOAD_SECONDS = int(os.environ.get("SMS_TWO_WAY_BENCH_LOAD_SECONDS", "10"))
BACKLOG = int(1000 * SCALE)
OUTBOUND = 200
BROADCAST = int(10000 * SCALE)
CONTACTS_SMALL, CONTACTS_LARGE = max(300, int(2000 * SCALE)), int(200000 * SCALE)
NEW_NUMBERS = 100
LATENCY = 0.05


def scaled(count):
    return max(1, int(count))


# ---------------------------------------------------------------- load generation
def closed_loop(request, seconds=LOAD_SECONDS, concurrency=CONCURRENCY):
    """``concurrency`` clients calling ``request(session)`` back to back for ``seconds``."""
    latencies, statuses, lock = [], {}, threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        session = requests.Session()
        while time.monotonic() < stop_at:
            start = time.monotonic()
            status = request(session).status_code
            elapsed = time.monotonic() - start
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "statuses": statuses,
        "count": len(latencies),
    }


def row(label, *values):
    print(f"  {label:<44}" + "".join(f"{value:>18}" for value in values), flush=True)


# ---------------------------------------------------------------- fixtures
class Bench:
    def __init__(self, db, command, work_dir):
        self.db = db
        self.fake = load_fake_twilio()(auth_token=AUTH_TOKEN).start()
        # Room for long cron jobs: one broadcast batch is a minute of sending (and its CPU) by design.
        self.server = OdooServer(
            command,
            Path(work_dir) / "bench-odoo.log",
            workers=2,
            cron_workers=1,
            extra=["--limit-time-real-cron=0", "--limit-time-cpu=3600"],
        ).wait_ready()
        try:
            self._setup(db, command)
        except BaseException:
            self.server.stop()
            self.fake.stop()
            raise

    def _setup(self, db, command):
        self.rpc = JsonRpc(self.server.url, db)
        self.rpc("ir.config_parameter", "set_param", "web.base.url", self.server.url)
        # Whatever the hour of the run: marketing SMS are not deferred to the morning.
        self.rpc("res.company", "write", [1], {"sms_quiet_hours": False})
        # The fake provider listens on 127.0.0.1 over plain HTTP: an administrator's explicit allowance.
        self.rpc(
            "ir.config_parameter",
            "set_param",
            "sms_two_way.allow_loopback_http_api",
            "True",
        )
        self.pg = pg_connect(command, db)
        self.pg.autocommit = True
        self.run_id = uuid.uuid4().hex[:6]
        self.gateway_id = self.rpc(
            "sms.gateway",
            "create",
            {
                "name": f"Bench {self.run_id}",
                "provider": "twilio",
                "sequence": -10,
                "twilio_account_sid": self.fake.account_sid,
                "twilio_auth_token": AUTH_TOKEN,
                "twilio_from_number": "+3225550177",
                "api_base_url": self.fake.base_url,
                "request_timeout": 10,
            },
        )
        [values] = self.rpc("sms.gateway", "read", [self.gateway_id], ["inbound_url"])
        self.inbound_url = values["inbound_url"]
        [xmlid] = self.rpc(
            "ir.model.data",
            "search_read",
            [
                ("module", "=", "sms_two_way"),
                ("name", "=", "ir_cron_sms_two_way_process_inbound"),
            ],
            ["res_id"],
        )
        self.process_cron_id = xmlid["res_id"]
        self.new_number_timings = {}

    def close(self):
        self.rpc("sms.gateway", "write", [self.gateway_id], {"active": False})
        self.server.stop()
        self.fake.stop()
        self.pg.close()

    def sql(self, query, params=()):
        with self.pg.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None

    def add_contacts(self, count, prefix):
        """``count`` contacts with distinct Belgian mobiles, inserted in SQL (setup, not measured)."""
        self.sql(
            """
            INSERT INTO res_partner (name, complete_name, mobile, active, type, is_company, lang,
                                     create_date, write_date, create_uid, write_uid)
            SELECT 'Bench ' || n, 'Bench ' || n, %s || lpad(n::text, 6, '0'), true, 'contact', false, 'en_US',
                   now(), now(), 1, 1
              FROM generate_series(1, %s) n""",
            (prefix, count),
        )
        self.sql("ANALYZE res_partner")

    def inbound(self, sender, body):
        return {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": self.fake.account_sid,
            "From": sender,
            "To": "+3225550177",
            "Body": body,
            "NumMedia": "0",
        }

    def sent_to(self, prefix):
        """Messages the fake provider accepted for numbers starting with ``prefix``."""
        return sum(
            1
            for message in list(self.fake.messages)
            if (message["to"] or "").startswith(prefix)
        )

    def pending_count(self):
        return self.sql(
            "SELECT count(*) FROM sms_conversation_message WHERE process_state = 'pending'"
        )[0][0]

    def cron_rss(self):
        """RSS (bytes) of the server's processes: the cron worker is one of the children."""
        parent = psutil.Process(self.server.process.pid)
        return {
            child.pid: child.memory_info().rss
            for child in parent.children(recursive=True)
        }


# ---------------------------------------------------------------- measures
def bench_webhook(bench):
    contacts = [
        f"+32471{n:06d}" for n in range(1, 201)
    ]  # known contacts (bench_contacts)
    counter = iter(range(10**9))

    def login(session):
        return session.get(f"{bench.server.url}/web/login", timeout=60)

    def webhook(session):
        return signed_post(
            bench.inbound_url,
            bench.inbound(contacts[next(counter) % 200], "Bench hello"),
            AUTH_TOKEN,
            session,
        )

    baseline = closed_loop(login)
    measured = closed_loop(webhook)
    print(
        f"\nInbound webhook vs /web/login ({CONCURRENCY} concurrent clients, {LOAD_SECONDS} s each)"
    )
    row("", "/web/login", "webhook", "ratio")
    row(
        "requests/s",
        f"{baseline['rps']:.0f}",
        f"{measured['rps']:.0f}",
        f"{measured['rps'] / baseline['rps']:.2f}",
    )
    row(
        "p50 (ms)",
        f"{baseline['p50']:.0f}",
        f"{measured['p50']:.0f}",
        f"{measured['p50'] / baseline['p50']:.2f}",
    )
    row(
        "p99 (ms)",
        f"{baseline['p99']:.0f}",
        f"{measured['p99']:.0f}",
        f"{measured['p99'] / baseline['p99']:.2f}",
    )
    row("answers", str(baseline["statuses"]), str(measured["statuses"]))
    drained = wait_until(lambda: bench.pending_count() == 0, timeout=600)
    row(
        "acknowledged messages processed after the load",
        "",
        f"{measured['count']} in {drained:.1f} s"
        if drained is not None
        else "not drained",
    )


def set_processing_cron_active(bench, active):
    """Switch the processing cron (retried while a run holds it)."""
    for _attempt in range(600):
        try:
            return bench.rpc(
                "ir.cron", "write", [bench.process_cron_id], {"active": active}
            )
        except AssertionError as error:
            if "currently being executed" not in str(error):
                raise
            time.sleep(0.2)
    raise RuntimeError("the processing cron never became free")


def bench_backlog(bench):
    set_processing_cron_active(bench, False)
    senders = [f"+32471{n:06d}" for n in range(1, 201)]
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        list(
            pool.map(
                lambda i: signed_post(
                    bench.inbound_url,
                    bench.inbound(senders[i % 200], f"Backlog {i}"),
                    AUTH_TOKEN,
                ),
                range(BACKLOG),
            )
        )
    backlog = bench.pending_count()
    set_processing_cron_active(bench, True)
    start = time.monotonic()
    # The next webhook triggers the cron: a worker wakes through PostgreSQL notifications.
    signed_post(bench.inbound_url, bench.inbound(senders[0], "Wake up"), AUTH_TOKEN)
    drained = wait_until(lambda: bench.pending_count() == 0, timeout=900, interval=0.1)
    elapsed = drained if drained is not None else time.monotonic() - start
    print(
        f"\nBacklog drain (1 cron worker, {backlog + 1} messages from 200 known contacts)"
    )
    row(
        "messages processed per second",
        f"{(backlog + 1) / elapsed:.0f}" + ("" if drained else " (timeout)"),
    )


def bench_outbound(bench):
    bench.fake.delay_seconds = LATENCY
    numbers = [f"+32472{n:06d}" for n in range(OUTBOUND)]
    conversations = bench.rpc(
        "sms.conversation",
        "create",
        [
            {"gateway_id": bench.gateway_id, "company_id": 1, "number": number}
            for number in numbers
        ],
    )
    assert len(conversations) == OUTBOUND
    sms_ids = bench.rpc(
        "sms.sms",
        "create",
        [
            {
                "number": number,
                "body": f"Outbound {index}",
                "gateway_id": bench.gateway_id,
                "sms_two_way_category": "direct",
            }
            for index, number in enumerate(numbers)
        ],
    )
    start = time.monotonic()
    bench.rpc("sms.sms", "send", sms_ids)
    gateway_elapsed = time.monotonic() - start
    sent = bench.sent_to(
        numbers[0][:6]
    )  # answers queued by earlier steps may reach the fake meanwhile

    client = _sdk_client(bench.fake)
    start = time.monotonic()
    for index, number in enumerate(numbers):
        client.messages.create(to=number, from_="+3225550177", body=f"SDK {index}")
    sdk_elapsed = time.monotonic() - start
    bench.fake.delay_seconds = 0
    gateway_rate, sdk_rate = sent / gateway_elapsed, OUTBOUND / sdk_elapsed
    print(f"\nOutbound, provider answering in {LATENCY * 1000:.0f} ms ({OUTBOUND} SMS)")
    row("", "sequential SDK", "gateway", "ratio")
    row(
        "messages per second",
        f"{sdk_rate:.1f}",
        f"{gateway_rate:.1f}",
        f"{gateway_rate / sdk_rate:.1f}x",
    )
    row("sent by the gateway", "", f"{sent}/{OUTBOUND}")


def _sdk_client(fake):
    from twilio.rest import Client  # noqa: PLC0415

    client = Client(fake.account_sid, AUTH_TOKEN)
    client.api.base_url = fake.base_url
    return client


def bench_broadcast(bench):
    prefix = "+32473"
    bench.add_contacts(BROADCAST, prefix)
    company_partner = bench.sql("SELECT partner_id FROM res_company WHERE id = 1")[0][0]
    assert company_partner
    campaign_id = bench.rpc(
        "sms.campaign",
        "create",
        {
            "name": f"Bench {bench.run_id}",
            "gateway_id": bench.gateway_id,
            "join_keywords": f"BENCH{bench.run_id}",
        },
    )
    # Conversations and confirmed subscribers in SQL too: setup, not what is measured.
    bench.sql(
        """
        INSERT INTO sms_conversation (gateway_id, company_id, number, partner_id, inbox_state, needs_reply,
                                      name, create_date, write_date, create_uid, write_uid)
        SELECT %s, 1, mobile, id, 'done', false, name, now(), now(), 1, 1 FROM res_partner WHERE mobile LIKE %s""",
        (bench.gateway_id, prefix + "%"),
    )
    bench.sql(
        """
        INSERT INTO sms_campaign_subscriber (campaign_id, company_id, partner_id, number, conversation_id, state,
                                             join_date, create_date, write_date, create_uid, write_uid)
        SELECT %s, 1, c.partner_id, c.number, c.id, 'confirmed', now(), now(), now(), 1, 1
          FROM sms_conversation c WHERE c.gateway_id = %s AND c.number LIKE %s""",
        (campaign_id, bench.gateway_id, prefix + "%"),
    )
    bench.fake.delay_seconds = LATENCY
    broadcast_id = bench.rpc(
        "sms.campaign.broadcast",
        "create",
        {
            "name": "Bench",
            "campaign_id": campaign_id,
            "body": "Hi {first_name}, {campaign} news!",
            "throttle_per_second": max(200, BROADCAST // 60),
        },
    )  # one batch of a minute: the gateway paces the calls
    rss_before = bench.cron_rss()
    start = time.monotonic()
    bench.rpc("sms.campaign.broadcast", "action_send_now", [broadcast_id])
    peak = {}

    def sample_rss():
        for pid, rss in bench.cron_rss().items():
            peak[pid] = max(peak.get(pid, 0), rss)

    def queued():
        sample_rss()
        return (
            bench.sql(
                "SELECT count(*) FROM sms_campaign_broadcast_recipient WHERE broadcast_id = %s "
                "AND state = 'pending'",
                (broadcast_id,),
            )[0][0]
            == 0
            and bench.sql(
                "SELECT count(*) FROM sms_campaign_broadcast_recipient WHERE broadcast_id = %s",
                (broadcast_id,),
            )[0][0]
            > 0
        )

    queue_time = wait_until(queued, timeout=1800, interval=0.5)
    first_sent = wait_until(
        lambda: bench.sent_to(prefix) > 0, timeout=600, interval=0.1
    )

    def all_sent():
        sample_rss()
        return bench.sent_to(prefix) >= BROADCAST

    send_time = wait_until(all_sent, timeout=3600, interval=0.5)
    total = time.monotonic() - start
    bench.fake.delay_seconds = 0
    growth = max(
        (peak.get(pid, rss) - rss for pid, rss in rss_before.items()), default=0
    )
    print(
        f"\nBroadcast to {BROADCAST:,} subscribers, provider answering in {LATENCY * 1000:.0f} ms"
    )
    row("queued in (s)", f"{queue_time:.1f}" if queue_time is not None else "timeout")
    row(
        "sent at (msg/s), first to last SMS",
        f"{BROADCAST / send_time:.0f}" if send_time is not None else "timeout",
    )
    row(
        "first SMS at the provider after (s)",
        f"{first_sent:.1f}" if first_sent is not None else "-",
    )
    row("total (s)", f"{total:.1f}")
    row("largest RSS growth of a server process (MB)", f"{growth / 2**20:.0f}")


def bench_contacts(bench):
    """Setup: the known contacts texting in the next steps (inserted in SQL, not measured)."""
    bench.add_contacts(CONTACTS_SMALL, "+32471")


def _time_new_numbers(bench, prefix, label, first=1):
    """Processing time per message from numbers without a conversation: half of them
    belong to contacts (numbers ``prefix`` + 6 digits from ``first``), half to nobody."""
    senders = [f"{prefix}{n:06d}" for n in range(first, first + NEW_NUMBERS // 2)]
    senders += [f"+3249{label}{n:06d}" for n in range(NEW_NUMBERS // 2 + 1)]
    set_processing_cron_active(bench, False)
    for sender in senders[:-1]:
        signed_post(bench.inbound_url, bench.inbound(sender, "New here"), AUTH_TOKEN)
    set_processing_cron_active(bench, True)
    start = time.monotonic()
    signed_post(
        bench.inbound_url, bench.inbound(senders[-1], "New here"), AUTH_TOKEN
    )  # wakes the cron
    drained = wait_until(lambda: bench.pending_count() == 0, timeout=900, interval=0.05)
    matched = bench.sql(
        "SELECT count(*) FROM sms_conversation WHERE gateway_id = %s AND number = ANY(%s) "
        "AND partner_id IS NOT NULL",
        (bench.gateway_id, senders),
    )[0][0]
    bench.new_number_timings[label] = (
        (drained or time.monotonic() - start) / len(senders) * 1000,
        matched,
    )


def bench_new_numbers_small(bench):
    """Among the first contacts (those of bench_contacts), numbers that never texted yet."""
    contacts = bench.sql("SELECT count(*) FROM res_partner")[0][0]
    bench.new_number_label_small = f"{contacts:,} contacts"
    _time_new_numbers(
        bench, "+32471", "1", first=CONTACTS_SMALL // 2
    )  # the webhook steps used the first 200


def bench_new_numbers_large(bench):
    contacts = bench.sql("SELECT count(*) FROM res_partner")[0][0]
    bench.add_contacts(max(NEW_NUMBERS, CONTACTS_LARGE - contacts), "+32480")
    contacts = bench.sql("SELECT count(*) FROM res_partner")[0][0]
    _time_new_numbers(bench, "+32480", "2")
    (small, small_matched), (large, large_matched) = (
        bench.new_number_timings["1"],
        bench.new_number_timings["2"],
    )
    print(
        "\nNew-number inbound (contact matching), processing time per message (half of them match a contact)"
    )
    row(
        "",
        getattr(bench, "new_number_label_small", "first"),
        f"{contacts:,} contacts",
        "ratio",
    )
    row("ms per message", f"{small:.1f}", f"{large:.1f}", f"{large / small:.2f}")
    row("conversations matched to a contact", str(small_matched), str(large_matched))


def main():
    db, command = (
        os.environ["SMS_TWO_WAY_BENCH_DB"],
        os.environ["SMS_TWO_WAY_BENCH_ODOO"].split("\x1f"),
    )
    work_dir = os.environ.get("SMS_TWO_WAY_WORK_DIR", "/tmp")
    print(
        f"\n== Pipeline benchmark: real Odoo (2 workers, 1 cron worker), database {db}, scale {SCALE} =="
    )
    bench = Bench(db, command, work_dir)
    try:
        for step in os.environ.get(
            "SMS_TWO_WAY_BENCH_STEPS",
            "contacts,webhook,backlog,outbound,new_numbers_small,broadcast,new_numbers_large",
        ).split(","):
            globals()[f"bench_{step}"](bench)
    finally:
        bench.close()


if __name__ == "__main__":
    main()
