import hmac
import logging
import secrets
import threading

from psycopg2.errors import UniqueViolation
from werkzeug.urls import url_join

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every

from ..core.call_pool import CallPool
from ..core.phone import normalize_number
from ..core.provider_urls import credential_url_problem
from .sms_provider import DEFAULT_CONCURRENT_SENDS, MAX_CONCURRENT_SENDS
from .xmlid import cached_ref

# System parameter letting an administrator point gateways at a provider on
# 127.0.0.1 over plain HTTP (the test suites' fake Twilio).  Credentials never
# leave the machine that way; every other API root must use HTTPS.
ALLOW_LOOPBACK_HTTP_PARAM = "sms_two_way.allow_loopback_http_api"

_logger = logging.getLogger(__name__)

# Namespace of the advisory locks that order the texts of one number (see
# sms.gateway._lock_inbound_number): hashed by PostgreSQL into the first key.
INBOUND_NUMBER_LOCK = "sms_two_way.inbound_number"
# SMS prepared, marked and committed at once, then sent concurrently (see _send_sms_records).
GATEWAY_BATCH_SIZE = 100
# Under a max rate, the next batch is started when the calls of the previous one are due
# within this many seconds (about the time preparing a batch takes, with room to spare).
START_NEXT_BATCH_AHEAD = 5.0

# Status names every provider maps its own statuses onto (see sms.provider).
STATUS_TO_MESSAGE_STATE = {
    "queued": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}
# How a provider status moves the Odoo notification (sms.tracker) forward.
STATUS_TO_SMS_STATE = {
    "queued": "pending",
    "sent": "pending",
    "delivered": "sent",
}


class SmsGateway(models.Model):
    """A phone number (or sender pool) at an SMS provider, owned by one company.

    The gateway is provider-agnostic: everything that depends on the provider
    is delegated to the ``sms.provider.<provider>`` model (see
    :meth:`_get_provider`), so the inbound and outbound flows never branch on
    provider names.
    """

    _name = "sms.gateway"
    _inherit = ["sms.cached.mixin", "sms.protected.fields.mixin"]
    # What _get_company_ids_with_active_gateway is built from.
    _cache_fields = frozenset({"active", "company_id"})
    _description = "SMS Gateway"
    _order = "sequence, id"
    # The API root receives the credentials: administrators alone choose it.
    _admin_only_fields = ("api_base_url",)

    name = fields.Char(required=True)
    sequence = fields.Integer(
        default=10,
        help="The first active gateway of a company sends its new conversations.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    provider = fields.Selection(selection=[], required=True)
    api_base_url = fields.Char(
        "API base URL",
        groups="base.group_system",
        help="Advanced: the provider API root, where the credentials are sent (HTTPS only). "
        "Leave empty for the provider's public API.",
    )
    request_timeout = fields.Float(
        default=10.0,
        help="Seconds to wait for the provider before the attempt is retried later.",
    )
    max_send_rate = fields.Float(
        "Max messages per second",
        default=0.0,
        help="Odoo never hands this gateway's provider more messages per second, whatever the number of "
        "workers or servers sending: 1 suits a long code, 3 a toll-free number, more a 10DLC campaign or "
        "a short code. 0: no limit here (the provider queues what exceeds the number's rate).",
    )
    max_concurrent_sends = fields.Integer(
        "Concurrent requests",
        default=DEFAULT_CONCURRENT_SENDS,
        help="Requests to the provider in flight at once while a batch is sent (at most "
        f"{MAX_CONCURRENT_SENDS}). More sends faster when the provider answers slowly; stay under the "
        "provider account's own limit of simultaneous API requests. The max messages per second "
        "holds whatever this is.",
    )
    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_system",
        default=lambda self: secrets.token_urlsafe(24),
        help="Unguessable part of the webhook URLs: rotating it invalidates the URLs pasted at the provider.",
    )
    inbound_url = fields.Char(
        compute="_compute_webhook_urls",
        groups="base.group_system",
        help="Paste this URL as the provider's 'A message comes in' webhook (HTTP POST).",
    )
    status_url = fields.Char(
        compute="_compute_webhook_urls",
        groups="base.group_system",
        help="Sent to the provider with each message as its delivery status callback.",
    )
    conversation_count = fields.Integer(compute="_compute_conversation_count")
    provider_handles_opt_out = fields.Boolean(
        "Provider answers opt-out keywords",
        compute="_compute_provider_handles_opt_out",
        store=True,
        readonly=False,
        help="The provider itself answers STOP, START and HELP and blocks sending after STOP (Twilio's "
        "default). Odoo then records the change but sends no answer of its own, so the customer "
        "never gets two.",
    )

    _sql_constraints = [
        (
            "webhook_token_unique",
            "unique(webhook_token)",
            "Each gateway needs its own webhook token.",
        ),
    ]

    @api.constrains("max_concurrent_sends")
    def _check_max_concurrent_sends(self):
        for gateway in self:
            if not 1 <= gateway.max_concurrent_sends <= MAX_CONCURRENT_SENDS:
                raise ValidationError(
                    self.env._(
                        "Concurrent requests must be between 1 and %s.",
                        MAX_CONCURRENT_SENDS,
                    )
                )

    @api.constrains("api_base_url")
    def _check_api_base_url(self):
        for gateway in self.sudo().filtered("api_base_url"):
            if problem := credential_url_problem(
                gateway.api_base_url, self._allow_loopback_http()
            ):
                raise ValidationError(
                    self.env._(
                        "The API base URL %(url)s cannot be used: %(problem)s.",
                        url=gateway.api_base_url,
                        problem=problem,
                    )
                )

    @api.model
    def _allow_loopback_http(self):
        return bool(
            self.env["ir.config_parameter"].sudo().get_param(ALLOW_LOOPBACK_HTTP_PARAM)
        )

    def _get_api_base_url(self, default_url):
        """The provider API root the credentials may be sent to, checked at each use.

        ``UserError`` when the configured root is not HTTPS (or an allowed
        loopback fake): nothing is sent then.
        """
        self.ensure_one()
        url = (self.sudo().api_base_url or default_url).rstrip("/")
        if problem := credential_url_problem(url, self._allow_loopback_http()):
            raise UserError(
                self.env._(
                    "Gateway %(name)s: the API base URL cannot be used: %(problem)s.",
                    name=self.name,
                    problem=problem,
                )
            )
        return url

    def init(self):
        # Send windows reserved by the rate limiter (see _reserve_send_slots).  Plain SQL, no
        # model: a counter updated in its own short transaction, never read by users.
        self.env.cr.execute("""
            CREATE TABLE IF NOT EXISTS sms_gateway_send_window (
                gateway_id integer PRIMARY KEY REFERENCES sms_gateway(id) ON DELETE CASCADE,
                next_at timestamp with time zone NOT NULL
            )""")

    @api.depends("webhook_token")
    def _compute_webhook_urls(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        for gateway in self:
            token = gateway.sudo().webhook_token
            gateway.inbound_url = (
                url_join(base_url, f"/sms_two_way/inbound/{token}") if token else False
            )
            gateway.status_url = (
                url_join(base_url, f"/sms_two_way/status/{token}") if token else False
            )

    @api.depends("provider")
    def _compute_provider_handles_opt_out(self):
        for gateway in self:
            gateway.provider_handles_opt_out = (
                gateway.provider in self._get_providers_handling_opt_out()
            )

    @api.model
    def _get_providers_handling_opt_out(self):
        return {"twilio"}

    def _compute_conversation_count(self):
        counts = dict(
            self.env["sms.conversation"]._read_group(
                [("gateway_id", "in", self.ids)], ["gateway_id"], ["__count"]
            )
        )
        for gateway in self:
            gateway.conversation_count = counts.get(gateway, 0)

    # ------------------------------------------------------------ provider
    def _get_provider(self):
        """The model implementing this gateway's provider (``sms.provider``)."""
        self.ensure_one()
        return self.env[f"sms.provider.{self.provider}"]

    def action_test_connection(self):
        self.ensure_one()
        self.check_access("write")  # those who configure gateways test them
        message = self._get_provider()._test_connection(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Connection works"),
                "message": message,
                "type": "success",
                "sticky": False,
            },
        }

    def action_rotate_webhook_token(self):
        # No sudo: the token field is for administrators only, so is rotating it.
        self.webhook_token = secrets.token_urlsafe(24)

    def action_view_conversations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sms_two_way.sms_conversation_action"
        )
        action["domain"] = [("gateway_id", "=", self.id)]
        return action

    @api.model
    def _get_by_webhook_token(self, token):
        """Find the gateway of a webhook URL, comparing tokens in constant time.

        Returned in the caller's environment (never sudo'ed).
        """
        if not token or len(token) > 128:
            return self.browse()
        for gateway in self.sudo().search([]):
            if hmac.compare_digest(gateway.webhook_token.encode(), token.encode()):
                return self.browse(gateway.id)
        return self.browse()

    @api.model
    def _get_technical_user(self):
        """The user webhooks, crons and keyword actions run as (never the superuser)."""
        return cached_ref(self.env, "sms_two_way.user_sms_two_way_bot")

    def _as_technical_user(self):
        """This gateway in the technical user's environment, in the gateway's company."""
        self.ensure_one()
        return self.with_user(self._get_technical_user()).with_company(
            self.sudo().company_id
        )

    @api.model
    def _get_for_number(self, number, company):
        """The gateway to text ``number`` from (see :meth:`_get_for_numbers`)."""
        return self._get_for_numbers([number], company)[0]

    @api.model
    def _get_for_numbers(self, numbers, company):
        """The gateway to text each of ``numbers`` from, in order, in a constant number of queries.

        For each number: the gateway the customer already talks to, else the
        company's default (empty: the company has none), in the caller's
        environment.  Every ``sms.sms`` Odoo creates asks this, so a company
        without an active gateway costs no query at all and one with gateways
        costs two per batch.
        """
        no_gateway = self.browse()
        if company.id not in self._get_company_ids_with_active_gateway():
            return [no_gateway] * len(numbers)
        gateways = self.sudo().search([("company_id", "=", company.id)])
        default = gateways[:1]
        if not default:
            return [no_gateway] * len(numbers)
        e164s = [
            default._normalize_number(number) if number else False for number in numbers
        ]
        talking_to = {}
        if wanted := {e164 for e164 in e164s if e164}:
            conversations = (
                self.env["sms.conversation"]
                .sudo()
                .search_fetch(
                    [
                        ("number", "in", list(wanted)),
                        ("company_id", "=", company.id),
                        ("gateway_id", "in", gateways.ids),
                    ],
                    ["number", "gateway_id"],
                    order="last_message_date desc, id desc",
                )
            )
            for conversation in conversations:
                talking_to.setdefault(conversation.number, conversation.gateway_id.id)
        # Looked up with local sudo, returned in the caller's environment.
        return [self.browse(talking_to.get(e164, default.id)) for e164 in e164s]

    @api.model
    @tools.ormcache()
    def _get_company_ids_with_active_gateway(self):
        """Companies that have an active gateway; cleared whenever a gateway changes."""
        return frozenset(self.sudo().search([]).company_id.ids)

    def _normalize_number(self, number, country=None):
        """E.164 form of ``number``, national numbers read in ``country`` (the contact's),
        else the company's."""
        country = country or self.company_id.country_id or self.env.company.country_id
        return normalize_number(number or "", country.code if country else None)

    # ------------------------------------------------------------ inbound
    def _receive_inbound(self, payload):
        """Store one inbound message for background processing; idempotent on the provider id.

        ``payload`` is what ``sms.provider._parse_inbound`` returns.  Only the
        message is stored here (the webhook then commits and answers at
        once); the processing cron is triggered in the same transaction, so
        it starts as soon as the message is committed.  A redelivery returns
        the message stored the first time.  A concurrent delivery of the same
        message blocks on the unique index until the first one commits and
        then violates it: that proves the message is stored, so the duplicate
        is dropped rather than raised.
        """
        self.ensure_one()
        Message = self.env["sms.conversation.message"].sudo()
        existing = Message._find_by_provider_sid(self, payload["provider_sid"])
        if existing:
            return existing.with_env(self.env)
        try:
            with self.env.cr.savepoint():
                message = self._store_inbound(payload)
        except UniqueViolation as error:
            if (
                error.diag.constraint_name
                != "sms_conversation_message_provider_sid_unique"
            ):
                raise
            _logger.info(
                "Dropped concurrent duplicate of inbound SMS %s",
                payload["provider_sid"],
            )
            return Message.with_env(self.env)
        Message._get_process_cron()._trigger()
        return message.with_env(
            self.env
        )  # stored with local sudo, returned with the caller's rights

    def _store_inbound(self, payload):
        number = (
            self._normalize_number(payload["from_number"]) or payload["from_number"]
        )
        self._lock_inbound_number(number)
        # The contact is matched while processing: storing stays a few indexed writes.
        conversation = (
            self.env["sms.conversation"]
            .sudo()
            ._get_or_create(self, number, match_partner=False)
        )
        vals = conversation._prepare_inbound_message_vals(payload)
        return self.env["sms.conversation.message"].sudo().create(vals)

    def _lock_inbound_number(self, number):
        """Wait until no other transaction is storing a text of ``number`` on this gateway.

        The processing cron answers a conversation in the order of its
        messages' ids, among the pending messages its snapshot sees.  An id
        is drawn from the sequence when the row is inserted, but two
        webhooks may commit in the other order: a claim could then see only
        the later text and answer it first.  Holding this lock from before
        the insert until the webhook's commit makes the texts of one
        number draw their ids in commit order: the second waits for the
        first to commit (a few milliseconds of storing, no processing), so
        every snapshot that holds the later text holds the earlier one.

        It is a transaction-level advisory lock, released by the commit or
        rollback, and not the conversation row: the processing holds that
        row for seconds (media downloads), and webhooks must not wait for
        it (Twilio allows 15 seconds).  Texts of other numbers never wait.
        A webhook whose snapshot began before the first one committed may
        still not see the conversation that one created: its insert of the
        conversation then fails to serialize and Odoo retries the request,
        as before (``sms.conversation._get_or_create_many``).

        The key uses the two-integer form, whose keys PostgreSQL keeps
        apart from the single-bigint form: a namespace constant,
        ``hashtext('sms_two_way.inbound_number')``, and a hash of gateway
        and number.  Another use of that form collides only by choosing
        the same hashed name; two numbers sharing a hash only wait for each
        other's commit.
        """
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))",
                INBOUND_NUMBER_LOCK,
                f"{self.id}:{number}",
            )
        )

    def _receive_status(self, status):
        """Apply a delivery status callback (what ``sms.provider._parse_status`` returns)."""
        self.ensure_one()
        message = (
            self.env["sms.conversation.message"]
            .sudo()
            ._find_by_provider_sid(self, status["provider_sid"])
        )
        if not message:
            _logger.info(
                "Status %s for unknown SMS %s ignored",
                status["status"],
                status["provider_sid"],
            )
            return message
        message._apply_status(
            status["status"], status.get("error_code"), status.get("error_message")
        )
        return message

    # ------------------------------------------------------------ outbound
    def _send_sms_records(self, sms_records, commit=False):
        """Send queued ``sms.sms`` records through this gateway: the one exit point to the provider.

        In batches of ``GATEWAY_BATCH_SIZE``, each handled in two halves by
        the calling thread, which alone does ORM work (the pool's threads only
        do HTTP): :meth:`_start_sending` prepares the batch, marks it as being
        sent and (with ``commit``) commits, then starts its provider calls;
        :meth:`_finish_sending` waits for their answers, applies them and
        commits.  The batches are pipelined: batch N+1 is started before
        batch N is finished, so that the provider has calls in flight while
        this thread does the ORM work of either, instead of waiting idle
        through it.

        One batch ahead, not more: the ORM work of a batch takes about as
        long as its calls at a provider's usual latency, so this thread is
        then the bottleneck and a deeper pipeline would only leave more SMS
        being sent after a crash.  Whole batches, not a sliding window of
        single results: the results of a batch are applied per resulting
        state in a constant number of queries and committed together.  This
        keeps the guarantees of a sequential send: every call starts after
        its SMS were committed as being sent, every batch's results are
        committed on their own, and a crash at any point leaves at most two
        batches *Outcome Unknown*, checked with the provider before any
        resend (see ``sms.sms._requeue_interrupted``).  All calls share one
        pool, so the gateway's "Concurrent requests" bounds them all, and
        each call waits for its slot at the gateway's max rate.  Under a max
        rate, the next batch is started only when the calls of the previous
        one are about due (``START_NEXT_BATCH_AHEAD``): SMS marked minutes
        before their turn could outlive the delay after which another worker
        re-queues them as interrupted.  When the provider is down, the calls
        not yet started are skipped (their SMS go back to the queue) and no
        further batch is started: the rest stays queued for the retry cron.
        """
        self.ensure_one()
        # The started batch: (its messages, function waiting for its results).
        in_flight = None
        with CallPool(self._get_concurrent_sends()) as pool:
            for batch in split_every(
                GATEWAY_BATCH_SIZE, sms_records.ids, sms_records.browse
            ):
                pool.sleep_until_due(START_NEXT_BATCH_AHEAD)
                if pool.outage:
                    break
                started = self._start_sending(batch._claim_outgoing(), pool, commit)
                if in_flight:
                    self._finish_sending(*in_flight, commit)
                in_flight = started
            if in_flight:
                self._finish_sending(*in_flight, commit)

    def _start_sending(self, sms_records, pool, commit):
        """Prepare, mark as being sent and start sending one batch; ``None`` when nothing is to be sent.

        The outbound messages are created or found, and those that may not
        leave now refused or deferred (``_filter_sendable_now``).  A message
        whose last outcome is unknown (a timeout, a crash) is first looked
        for at the provider: found, it is recorded as sent, not sent again.
        The others are marked as being sent (``sms.sms`` *Processing*,
        outbound message *Outcome Unknown*) and, with ``commit``, committed
        before the provider is called: if Odoo dies meanwhile, nothing sends
        them again blindly.  Returns ``(messages, wait)``, ``wait()`` giving
        the provider's results (see ``sms.provider._start_batch``).
        """
        provider = self._get_provider()
        Message = self.env["sms.conversation.message"].sudo()
        outbound = Message._prepare_outbound(self, sms_records)._filter_sendable_now()
        already_sent = {}  # outcome unknown, and the provider says it has them
        for message in outbound.filtered(lambda m: m.state == "unknown"):
            if provider_sid := provider._find_sent(self, message):
                already_sent[message] = provider_sid
        if already_sent:
            Message.union(*already_sent)._apply_send_results(
                [
                    {"state": "accepted", "provider_sid": provider_sid}
                    for provider_sid in already_sent.values()
                ]
            )
        to_send = outbound - Message.union(*already_sent)
        to_send._mark_sending()
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        if not to_send:
            return None
        return to_send, provider._start_batch(self, to_send, pool)

    def _finish_sending(self, messages, wait, commit):
        """Apply the provider's answers about ``messages`` and, with ``commit``, commit them.

        Applied per resulting state, in a number of queries that does not grow
        with the batch: accepted ones move to Sent, refused ones to Error, and
        on an outage the message goes back to the queue for the retry cron.
        A timeout is ambiguous (the provider may have the message): the
        outbound record stays *Outcome Unknown* and the next attempt asks the
        provider before sending again.  All or nothing: a failure while
        applying leaves the whole batch being sent (outcome unknown), not half
        applied.
        """
        results = wait()
        with self.env.cr.savepoint():
            messages._apply_send_results(results)
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _get_concurrent_sends(self):
        """How many provider calls of a batch may be in flight at once (``sms.provider``)."""
        self.ensure_one()
        return min(max(1, self.max_concurrent_sends), MAX_CONCURRENT_SENDS)

    def _reserve_send_slots(self, count):
        """Reserve ``count`` sends at this gateway's max rate; returns, for each, the seconds to wait.

        The reservation is one upsert in its own short transaction, so every
        worker and every server sharing the database takes its turn in the
        same window: a batch reserved after another starts when the other's
        window ends.  Without a max rate, every send may start now.  Delays
        are computed by the database clock, shared by every server.
        """
        self.ensure_one()
        if not self.max_send_rate or self.max_send_rate <= 0 or not count:
            return [0.0] * count
        interval = 1.0 / self.max_send_rate
        if getattr(
            threading.current_thread(), "testing", False
        ):  # one test transaction holds everything
            start = self._reserve_send_window(self.env.cr, interval * count)
        else:
            with self.env.registry.cursor() as cr:
                # Read committed: waiting for another worker's reservation must not make this one fail.
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                start = self._reserve_send_window(cr, interval * count)
        return [max(0.0, start + interval * index) for index in range(count)]

    def _reserve_send_window(self, cr, seconds):
        """Book ``seconds`` of sending after the gateway's last booking; returns the seconds until it starts."""
        cr.execute(
            SQL(
                """
            INSERT INTO sms_gateway_send_window AS w (gateway_id, next_at)
            VALUES (%(gateway)s, clock_timestamp() + make_interval(secs => %(seconds)s))
            ON CONFLICT (gateway_id) DO UPDATE
               SET next_at = greatest(w.next_at, clock_timestamp()) + make_interval(secs => %(seconds)s)
         RETURNING extract(epoch FROM next_at - clock_timestamp()) - %(seconds)s
        """,
                gateway=self.id,
                seconds=seconds,
            )
        )
        return float(cr.fetchone()[0])
