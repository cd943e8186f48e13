import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import phonenumbers
from markupsafe import Markup
from psycopg2.errors import SerializationFailure
from werkzeug.urls import url_join

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, create_index, plaintext2html
from odoo.tools.misc import consteq, hmac

from ..core import faq as faq_engine
from ..core import keywords as engine
from ..core.quiet_hours import next_allowed_time, pick_timezone
from .batch import write_grouped
from .sms_gateway import STATUS_TO_MESSAGE_STATE, STATUS_TO_SMS_STATE
from .xmlid import cached_ref

try:
    import resource  # Odoo's prefork workers set a CPU limit (POSIX only)
except ImportError:  # pragma: no cover
    resource = None

_logger = logging.getLogger(__name__)

# Provider error codes (Twilio's numbering, which other providers map onto)
# that mean the recipient has opted out at the carrier or provider level.
OPT_OUT_ERROR_CODES = {"21610"}

# How long the provider may fetch the media of an MMS we send.
MEDIA_URL_HOURS = 24

# Media types a browser shows without running anything; any other type the
# sender claims (HTML, SVG, XML, scripts...) is stored as a plain download
# (or as text/plain when Odoo's content sniffing finds markup in it).
SAFE_MEDIA_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/heic",
    "image/heif",
    "audio/mpeg",
    "audio/mp4",
    "audio/ogg",
    "audio/amr",
    "audio/wav",
    "audio/3gpp",
    "video/mp4",
    "video/3gpp",
    "video/quicktime",
    "video/webm",
    "text/plain",
    "text/vcard",
    "text/x-vcard",
    "text/calendar",
    "application/pdf",
}
DOWNLOAD_MEDIA_TYPE = "application/octet-stream"
# How an inbound message was handled (the automation-rate report groups by it).
HANDLED_BY = [
    ("compliance", "Compliance keyword"),
    ("prompt", "Open question"),
    ("keyword", "Keyword rule"),
    ("campaign", "Campaign"),
    ("faq", "FAQ answer"),
    ("handoff", "Handed to a person"),
    ("ignored", "Automated, ignored"),
]
# How long after an FAQ answer a request for a person counts against that answer.
FAQ_FOLLOW_UP_HOURS = 24

# What a send result (see sms.provider) means for the sms.sms and their trackers...
SEND_RESULT_TO_OUTCOME = {
    "accepted": "accepted",
    "retry": "queued_again",
    "ambiguous": "queued_again",
    "error": "refused",
}
# ... and for the outbound message.
SEND_RESULT_TO_MESSAGE_STATE = {
    "accepted": "queued",
    "retry": "outgoing",
    "ambiguous": "unknown",
    "error": "error",
}

# Delivery statuses only move forward: callbacks may arrive out of order.
STATE_RANK = {
    "outgoing": 0,
    "unknown": 0,
    "queued": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "error": 3,
}

# Waits before the 2nd, 3rd and 4th processing attempts of an inbound message;
# after the last one fails it stays in "error" until someone clicks Retry.
PROCESS_RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
)
# One processing run stops claiming messages after this many seconds and
# triggers the next run, so a backlog never holds a cron worker for long.
PROCESS_RUN_SECONDS = 60
# ... or once its worker process is this close (seconds) to its CPU limit: Odoo
# stops a cron worker that spends --limit-time-cpu (60 s by default) in one round
# of jobs, and lanes spend more CPU per second than one thread.
CPU_LIMIT_MARGIN_SECONDS = 10
# All the media of one MMS get this many seconds in total to download.
MEDIA_TIME_BUDGET_SECONDS = 30
# Claims lost in a row to other workers before a run gives the queue to them.
MAX_CLAIM_RACES = 20
# A claim looks at the oldest pending messages in windows of these sizes (None:
# all of them), so its cost does not grow with the backlog (see _claim_next_pending).
CLAIM_WINDOWS = (100, 2000, None)
# One cron worker processes this many messages at a time by default (system
# parameter sms_two_way.processing_lanes, 1 to MAX_PROCESSING_LANES): each lane
# is a thread with its own transaction and PostgreSQL connection, so one lane
# runs Python while another waits for PostgreSQL.
DEFAULT_PROCESSING_LANES = 2
MAX_PROCESSING_LANES = 8
# During a backlog, processed messages are announced to the SMS users at most this
# often (seconds): one bus notification costs a PostgreSQL connection per transaction.
LIVE_ANNOUNCE_SECONDS = 1.0


def cpu_limit_is_near():
    """Whether this process is within ``CPU_LIMIT_MARGIN_SECONDS`` of its CPU time limit.

    Odoo's prefork workers set RLIMIT_CPU to the CPU already spent plus
    --limit-time-cpu before each round of jobs (the kernel stops the
    process at the limit); without a limit (threaded server) never.
    """
    if resource is None:
        return False
    limit, _hard = resource.getrlimit(resource.RLIMIT_CPU)
    if limit == resource.RLIM_INFINITY:
        return False
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return limit - (usage.ru_utime + usage.ru_stime) < CPU_LIMIT_MARGIN_SECONDS


class SmsConversationMessage(models.Model):
    """One SMS exchanged with a customer, inbound or outbound.

    Unlike ``sms.sms`` (a send queue whose rows are garbage-collected once
    sent), these rows are the durable history of a conversation: they keep
    the provider's message id for idempotency and status callbacks, and the
    ``sms.sms`` UUID that links them to Odoo's notification tracking.
    """

    _name = "sms.conversation.message"
    _description = "SMS Conversation Message"
    _order = "create_date desc, id desc"
    _rec_name = "body"

    conversation_id = fields.Many2one(
        "sms.conversation", required=True, ondelete="cascade", index=True
    )
    gateway_id = fields.Many2one(
        "sms.gateway", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="conversation_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="conversation_id.partner_id")
    number = fields.Char(related="conversation_id.number")
    direction = fields.Selection(
        [("inbound", "Received"), ("outbound", "Sent")], required=True, readonly=True
    )
    body = fields.Text(readonly=True)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("outgoing", "In Queue"),
            ("unknown", "Outcome Unknown"),
            ("queued", "Accepted"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("undelivered", "Undelivered"),
            ("failed", "Failed"),
            ("error", "Refused"),
        ],
        required=True,
        readonly=True,
        default="outgoing",
    )
    provider_sid = fields.Char("Provider Message ID", readonly=True, copy=False)
    sms_uuid = fields.Char("SMS UUID", readonly=True, index=True, copy=False)
    mail_message_id = fields.Many2one(
        "mail.message", readonly=True, ondelete="set null"
    )
    failure_type = fields.Char(readonly=True)
    error_code = fields.Char(readonly=True)
    error_message = fields.Char(readonly=True)
    media_error = fields.Char(
        readonly=True, help="Why some media of this MMS could not be stored."
    )
    attachment_ids = fields.Many2many("ir.attachment", string="Media", readonly=True)
    category = fields.Selection(
        [
            ("direct", "Direct reply"),
            ("automated", "Automated"),
            ("marketing", "Marketing"),
            ("compliance", "Compliance"),
        ],
        string="Kind",
        readonly=True,
    )
    is_auto_reply = fields.Boolean("Automatic reply", readonly=True)
    prompt_id = fields.Many2one(
        "sms.prompt",
        "Answers",
        readonly=True,
        ondelete="set null",
        help="The question (appointment, survey, campaign step...) this reply was taken as the answer to.",
    )
    author_id = fields.Many2one(
        "res.users",
        "Answered by",
        readonly=True,
        help="The person who wrote this outbound text; empty for automatic and automated messages. "
        "Only such an answer takes a conversation out of 'Needs reply'.",
    )
    handled_by = fields.Selection(
        HANDLED_BY,
        readonly=True,
        index=True,
        help="How an inbound message was handled: by automation or by a person.",
    )
    faq_id = fields.Many2one(
        "sms.faq",
        "FAQ entry",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        help="The FAQ entry that answered this message.",
    )
    faq_confidence = fields.Float("FAQ confidence", readonly=True, digits=(3, 2))
    # Inbound processing (see _process_pending): the webhook only stores the message.
    process_state = fields.Selection(
        [
            ("pending", "To process"),
            ("done", "Processed"),
            ("error", "Processing failed"),
        ],
        string="Processing",
        readonly=True,
        copy=False,
        help="Received messages are stored at once and processed (chatter, automation, answers) "
        "in the background.",
    )
    process_error = fields.Char("Processing error", readonly=True, copy=False)
    process_attempts = fields.Integer(
        "Failed processing attempts", readonly=True, copy=False
    )
    process_next_date = fields.Datetime(
        "Next processing attempt", readonly=True, copy=False
    )
    media_urls = fields.Json(
        readonly=True,
        copy=False,
        help="Media announced by the provider, downloaded while processing.",
    )

    _sql_constraints = [
        (
            "provider_sid_unique",
            "unique(gateway_id, provider_sid)",
            "A provider message can only be stored once per gateway.",
        ),
    ]

    def init(self):
        # The processing queue: only pending rows are indexed, so it stays small.
        create_index(
            self.env.cr,
            "sms_conversation_message_pending_idx",
            self._table,
            ["id"],
            where="process_state = 'pending'",
        )
        create_index(
            self.env.cr,
            "sms_conversation_message_pending_conversation_idx",
            self._table,
            ["conversation_id", "id"],
            where="process_state = 'pending'",
        )

    @api.model
    def _find_by_provider_sid(self, gateway, provider_sid):
        if not provider_sid:
            return self.browse()
        return self.search(
            [("gateway_id", "=", gateway.id), ("provider_sid", "=", provider_sid)],
            limit=1,
        )

    def _get_chat_values(self):
        """One bubble of the chat thread widget."""
        self.ensure_one()
        state_labels = dict(self._fields["state"]._description_selection(self.env))
        return {
            "id": self.id,
            "direction": self.direction,
            "body": self.body or "",
            "date": fields.Datetime.to_string(self.create_date),
            "state": self.state,
            "state_label": state_labels.get(self.state, ""),
            "error": self.error_message or self.failure_type or self.media_error or "",
            "is_auto_reply": self.is_auto_reply,
            "category": self.category or "",
            "author": self.author_id.name or "",
            "attachments": [
                {"id": a.id, "name": a.name, "mimetype": a.mimetype}
                for a in self.attachment_ids
            ],
            "chip": self.prompt_id.sudo().description or "",
        }

    # ------------------------------------------------------------ inbound processing
    @api.model
    def _get_process_cron(self):
        return cached_ref(
            self.env, "sms_two_way.ir_cron_sms_two_way_process_inbound"
        ).sudo()

    @api.model
    def _cron_process_inbound(self):
        """Cron: process the pending inbound messages, one transaction each, in parallel lanes."""
        return self._process_in_lanes(
            self._get_processing_lanes(), time_budget=PROCESS_RUN_SECONDS
        )

    @api.model
    def _get_processing_lanes(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("sms_two_way.processing_lanes", DEFAULT_PROCESSING_LANES)
        )
        try:
            lanes = int(value)
        except ValueError:
            _logger.warning(
                "sms_two_way.processing_lanes is not a number (%r): %s lanes",
                value,
                DEFAULT_PROCESSING_LANES,
            )
            lanes = DEFAULT_PROCESSING_LANES
        return min(max(lanes, 1), MAX_PROCESSING_LANES)

    @api.model
    def _process_in_lanes(self, lanes, time_budget=None):
        """Process pending messages in ``lanes`` threads; returns how many were processed.

        A lane is a :meth:`_process_pending` loop with its own cursor: lanes
        share the queue exactly as several cron workers do (claims skip the
        conversations another transaction holds), so one conversation is
        still answered in arrival order, one message at a time.  Processing
        a message is mostly Python waiting on PostgreSQL and the reverse: a
        second lane makes use of those waits within one worker.  With a
        single lane, it processes in the caller's cursor and thread.
        """
        if lanes <= 1:
            return self._process_pending(time_budget=time_budget)
        with ThreadPoolExecutor(lanes, thread_name_prefix="sms_two_way_lane") as pool:
            runs = [
                pool.submit(self._process_pending_in_new_cursor, time_budget)
                for _lane in range(lanes)
            ]
        # Every lane has ended: each failure is logged, the first one fails the run.
        failures = [error for error in (run.exception() for run in runs) if error]
        for failure in failures:
            _logger.error("A lane processing inbound SMS failed", exc_info=failure)
        if failures:
            raise failures[0]
        return sum(run.result() for run in runs)

    @api.model
    def _process_pending_in_new_cursor(self, time_budget):
        """One lane (in its own thread): like the caller, in a cursor of its own.

        Odoo notes which caches a transaction cleared per thread, and a cron
        tells the other workers only for its own thread: a lane tells them
        itself, as ``ir.cron`` does after a job.
        """
        thread = threading.current_thread()
        thread.dbname, thread.uid = self.env.cr.dbname, self.env.uid  # for Odoo's logs
        registry = self.env.registry
        try:
            with registry.cursor() as cr:
                processed = self.with_env(self.env(cr=cr))._process_pending(
                    time_budget=time_budget
                )
        except Exception:
            registry.reset_changes()
            raise
        registry.signal_changes()
        return processed

    @api.model
    def _process_pending(self, time_budget=None):
        """Process pending inbound messages until none is due or the run's budget is spent.

        With a ``time_budget`` (seconds), the run also stops when its process
        nears the CPU limit Odoo gives a cron worker (see ``cpu_limit_is_near``).

        Each message is claimed, processed and committed on its own, so a
        failure never undoes another message and several cron workers (or
        Odoo servers) share the queue.  A run cut short by its budget
        triggers the next one at once; each postponed retry triggers a run when due.
        The first message of a run is announced live with its own commit; during
        a backlog the next ones are announced together, once a second or after
        the next message (each announcing transaction opens a PostgreSQL
        connection to notify the bus).
        Returns the number of messages processed (successfully or not).
        """
        deadline = time.monotonic() + time_budget if time_budget else None
        processed = races = 0
        unannounced, announced_at = self.browse(), None
        while True:
            if deadline and (time.monotonic() > deadline or cpu_limit_is_near()):
                self._get_process_cron()._trigger()
                break
            message = self._claim_next_pending()
            if (
                message is None and races < MAX_CLAIM_RACES
            ):  # lost a race: fresh snapshot, try again
                races += 1
                continue
            if not message:
                break
            races = 0
            message._process_claimed()
            unannounced |= message
            if (
                announced_at is None
                or time.monotonic() - announced_at >= LIVE_ANNOUNCE_SECONDS
            ):
                unannounced._announce_processed()
                unannounced, announced_at = self.browse(), time.monotonic()
            self._commit_processing()
            processed += 1
        if unannounced:
            unannounced._announce_processed()
            self._commit_processing()
        return processed

    def _announce_processed(self):
        """Announce these processed messages live; best effort, never a failure of the run.

        Outside any message's savepoint (several are announced together): an
        error (say, a message deleted meanwhile) is logged and the announcement
        dropped; the screens refresh on their own.  No savepoint of its own: it
        only reads, and would cost two queries per message.
        """
        try:
            self._announce_live()
        except Exception:  # noqa: BLE001 - live refresh is a convenience, processing is stored
            _logger.warning(
                "Live announcement of inbound SMS %s failed", self.ids, exc_info=True
            )

    @api.model
    def _claim_next_pending(self):
        """Lock the oldest processable inbound message with its conversation.

        A message is processable when it is due and no earlier message of its
        conversation is still pending: a conversation is answered in arrival
        order.  The texts of one number commit in the order of their ids
        (``sms.gateway._lock_inbound_number``), so a snapshot never holds a
        later message of a conversation without the earlier ones.  The
        conversation row is locked ``FOR NO KEY UPDATE SKIP LOCKED``: another
        worker skips it instead of waiting (webhooks only need a key-share
        lock on it to insert new messages, so they never wait).  The message
        row is locked too: under repeatable read, a message another worker
        finished after this transaction began cannot be locked (serialization
        failure), so it is never processed twice.

        Returns the message, an empty recordset when none is processable, or
        ``None`` when the claim lost a race and must be retried.
        """
        self.env.flush_all()
        try:
            for window in CLAIM_WINDOWS:
                row, complete = self._claim_in_window(window)
                if row or complete:
                    break
        except SerializationFailure:
            # Another worker just processed what this snapshot still sees as pending: the
            # transaction is aborted (it holds nothing of value), start a fresh one.
            if getattr(threading.current_thread(), "testing", False):
                raise
            self.env.cr.rollback()
            return None
        return self.browse(row[0]) if row else self.browse()

    def _claim_in_window(self, window):
        """Claim among the ``window`` oldest pending messages (all of them when None).

        Returns ``(row, complete)``: the claimed ``(id,)`` or None, and whether
        the window held every pending message (nothing further to look at).

        Why windows: in a prefix of the pending messages ordered by id, a
        message's earlier pending messages are in the prefix too, so "first
        pending of its conversation" is decided within it, by one sort, and
        the cost of a claim does not depend on the backlog.  (Asking it of the
        whole table with NOT EXISTS is quadratic when the planner's statistics
        still believe nothing is pending, as after a burst of webhooks.)
        """
        self.env.cr.execute(
            SQL(
                """
            WITH head AS MATERIALIZED (
                SELECT id, conversation_id, process_next_date FROM sms_conversation_message
                 WHERE process_state = 'pending'
              ORDER BY id
                 %(limit)s
            ), first_of_conversation AS (
                SELECT DISTINCT ON (conversation_id) id, conversation_id, process_next_date
                  FROM head
              ORDER BY conversation_id, id
            ), claimed AS (
                SELECT m.id FROM first_of_conversation f
                  JOIN sms_conversation_message m ON m.id = f.id
                  JOIN sms_conversation c ON c.id = f.conversation_id
                 WHERE f.process_next_date IS NULL OR f.process_next_date <= %(now)s
              ORDER BY f.id
                 LIMIT 1
                   FOR NO KEY UPDATE OF m, c SKIP LOCKED
            )
            SELECT (SELECT id FROM claimed), (SELECT count(*) FROM head)
        """,
                limit=SQL("LIMIT %s", window) if window else SQL(),
                now=fields.Datetime.now(),
            ),
            log_exceptions=False,
        )
        claimed_id, seen = self.env.cr.fetchone()
        complete = window is None or seen < window
        return ((claimed_id,) if claimed_id else None), complete

    def _process_claimed(self):
        """Process this claimed message in a savepoint; a failure is recorded, never raised."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                # As the technical user in the gateway's company, never as the cron's superuser.
                gateway = self.gateway_id._as_technical_user()
                self.with_env(gateway.env)._process_inbound()
                self.write(
                    {
                        "process_state": "done",
                        "process_error": False,
                        "process_next_date": False,
                    }
                )
        except Exception as error:  # noqa: BLE001 - any failure is stored on the message and retried
            self._record_processing_failure(error)

    def _record_processing_failure(self, error):
        """Schedule the next attempt with backoff, or give up into ``error`` after the last one."""
        self.ensure_one()
        attempts = self.process_attempts + 1
        reason = f"{error.__class__.__name__}: {error}"[:1000]
        vals = {"process_attempts": attempts, "process_error": reason}
        if attempts <= len(PROCESS_RETRY_DELAYS):
            vals["process_next_date"] = (
                fields.Datetime.now() + PROCESS_RETRY_DELAYS[attempts - 1]
            )
            self._get_process_cron()._trigger(at=vals["process_next_date"])
            _logger.warning(
                "Processing inbound SMS %s failed (attempt %s), will retry: %s",
                self.id,
                attempts,
                reason,
            )
        else:
            vals.update(process_state="error", process_next_date=False)
            # A warning, not an error: the message is kept, shown in the inbox and can be retried.
            _logger.warning(
                "Processing inbound SMS %s failed %s times, left to staff: %s",
                self.id,
                attempts,
                reason,
                exc_info=error,
            )
        self.write(vals)
        if self.process_state == "error":
            self._hand_failure_to_a_person(reason)

    def _hand_failure_to_a_person(self, reason):
        """Whatever the automation would have done, a person must now look at it."""
        try:
            with self.env.cr.savepoint():
                self.conversation_id._handoff(
                    self,
                    reason=self.env._("Processing this SMS failed: %s", reason),
                    acknowledge=False,
                )
        except Exception:  # noqa: BLE001 - the failure is already stored on the message
            _logger.exception(
                "Inbound SMS %s: the failed processing could not be handed off", self.id
            )

    def _commit_processing(self):
        """One transaction per message: a later failure never undoes a processed one.

        Committed without waiting for the disk (``synchronous_commit`` off, for
        this transaction only): a sync commit costs a WAL flush per message,
        which on a busy machine is a large share of processing a message.  It
        is safe here: the message itself was stored by a synchronous commit
        (the webhook's), and should PostgreSQL itself crash before flushing
        (at most 3 x ``wal_writer_delay``) the whole processing is lost
        *together with* what it queued, so the message is simply pending
        again.  What it queued does not reach the provider first: the crons
        that send it commit synchronously before calling the provider, which
        flushes all earlier WAL, this transaction's included.
        """
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.execute("SET LOCAL synchronous_commit TO OFF")
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def action_retry_processing(self):
        """Retry button (SMS managers): process failed messages again, from the first attempt."""
        if not self.env.user.has_group("sms_two_way.group_sms_manager"):
            raise AccessError(
                self.env._("Only SMS managers can retry the processing of a message.")
            )
        failed = self.sudo().filtered(lambda m: m.process_state == "error")
        failed.write(
            {
                "process_state": "pending",
                "process_attempts": 0,
                "process_error": False,
                "process_next_date": False,
            }
        )
        if failed:
            self._get_process_cron()._trigger()
        return True

    def _attach_media(self, time_budget=MEDIA_TIME_BUDGET_SECONDS):
        """Download the media of an MMS; a failed download keeps the text and says why.

        All media share ``time_budget`` seconds: each download gets at most
        what is left, and those beyond the budget are reported, not fetched.
        """
        self.ensure_one()
        media = self.media_urls or []
        if not media:
            return
        provider = self.gateway_id._get_provider()
        max_bytes = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("sms_two_way.max_media_bytes", 5 * 1024 * 1024)
        )
        deadline = time.monotonic() + time_budget
        attachments, problems = self.env["ir.attachment"], []
        for index, item in enumerate(media):
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError(
                        self.env._(
                            "time budget of %s seconds for media spent", time_budget
                        )
                    )
                content, mimetype = provider._download_media(
                    self.gateway_id, item["url"], max_bytes, timeout=remaining
                )
            except Exception as error:  # noqa: BLE001 - any failure is reported on the message
                _logger.warning(
                    "Media %s of SMS %s not stored: %s", index, self.provider_sid, error
                )
                problems.append(
                    self.env._(
                        "media %(index)s: %(error)s", index=index + 1, error=error
                    )
                )
                continue
            # Odoo sniffs octet-stream content again; xml-like findings (HTML, SVG) become text/plain.
            attachments |= (
                self.env["ir.attachment"]
                .with_context(attachments_mime_plainxml=True)
                .create(
                    {
                        "name": f"{self.provider_sid or 'sms'}-{index + 1}",
                        "raw": content,
                        "mimetype": self._safe_media_type(
                            mimetype or item.get("content_type")
                        ),
                        "res_model": self._name,
                        "res_id": self.id,
                    }
                )
            )
        self.write(
            {
                "attachment_ids": [(6, 0, attachments.ids)],
                "media_error": "; ".join(problems) or False,
            }
        )

    @api.model
    def _safe_media_type(self, mimetype):
        """The sender's content type when harmless, else a plain download type."""
        mimetype = (mimetype or "").split(";")[0].strip().lower()
        return mimetype if mimetype in SAFE_MEDIA_TYPES else DOWNLOAD_MEDIA_TYPE

    def _process_inbound(self):
        """Everything that follows the storage of an inbound message (run in the background)."""
        self.ensure_one()
        self._attach_media()
        conversation = self.conversation_id
        if not conversation.partner_id and (partner := conversation._match_partner()):
            # Found, not changed by anyone: nothing to track on the chatter.
            conversation.with_context(tracking_disable=True).partner_id = partner
        conversation._register_inbound(self)
        if self.partner_id:
            self.sudo().mail_message_id = self._post_on_partner()
        self._route_reply()

    def _post_on_partner(self):
        """Post the reply on the contact as a customer comment authored by the contact.

        A comment (not an ``sms`` message) lets staff answer it like any other
        message, and authoring it as the contact makes Odoo's "On incoming
        message" automation rules fire.  It is posted by the SMS technical user
        (webhooks arrive as the public user, whom Odoo forbids to attach files),
        with a local sudo: Odoo refuses a non-superuser post authored by a
        contact without an email address, and SMS contacts often have none.
        Its title links to the conversation, where staff answer in the chat.
        The e-mail notifications it sends to followers come from the technical
        user's address when the contact has none (SMS contacts often have none).
        """
        bot = self.env["sms.gateway"]._get_technical_user()
        partner = self.partner_id.with_user(bot).sudo()
        link = self.conversation_id._get_html_link(
            title=self.env._("SMS from %(number)s", number=self.number)
        )
        body = Markup(
            '<p class="o_sms_two_way_inbound"><i class="fa fa-mobile" title="SMS"></i> %s</p>%s'
        ) % (link, plaintext2html(self.body or ""))
        return partner.with_context(
            mail_create_nosubscribe=True, mail_post_autofollow=False
        ).message_post(
            body=body,
            email_from=partner.email_formatted or bot.sudo().email_formatted,
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=self.attachment_ids.ids if self.media_urls else [],
        )

    def _announce_live(self):
        """Tell the SMS users of each message's company: open chatters, chat threads and inboxes show it at once.

        Sent after routing, so that the inbox state the reply led to is visible
        too; several messages go out in one transaction (one bus wake-up).
        """
        group_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "sms_two_way.group_sms_user"
        )
        for company, messages in self.grouped("company_id").items():
            # One query instead of loading the group's users and their companies.
            self.env.cr.execute(
                SQL(
                    """
                SELECT u.partner_id FROM res_users u
                  JOIN res_groups_users_rel g ON g.uid = u.id AND g.gid = %s
                  JOIN res_company_users_rel c ON c.user_id = u.id AND c.cid = %s
                 WHERE u.active
            """,
                    group_id,
                    company.id,
                )
            )
            partners = self.env["res.partner"].browse(
                [row[0] for row in self.env.cr.fetchall()]
            )
            for message in messages:
                partners._bus_send(
                    "sms_two_way/inbound",
                    {
                        "model": message.partner_id and "res.partner",
                        "id": message.partner_id.id,
                        "conversation_id": message.conversation_id.id,
                    },
                )

    def _route_reply(self):
        """Decide what the reply means and act on it.

        In order: machine-looking text is left to staff (no auto-reply loop);
        compliance keywords (STOP, HELP, START...) always win; then the open
        prompts of the conversation; then the global keyword rules; then the
        company's FAQ; and what nothing handles is handed off to a person.
        YES opts in only when no open question takes it.  How the message was
        handled is recorded in ``handled_by`` for the automation-rate report.
        """
        self.ensure_one()
        text = self.body or ""
        self.handled_by = (
            False  # set by what handles it (a rule run, the FAQ, a handoff) or below
        )
        conversation = self.conversation_id
        if engine.looks_automated(text):
            _logger.info(
                "SMS %s looks machine-generated: left to staff without auto-reply",
                self.id,
            )
            conversation._handoff(self, acknowledge=False)
            self.handled_by = "ignored"  # by automation: the report counts it apart
            return False
        self._count_faq_person_request()
        intent = engine.compliance_intent(text)
        handled_by = "compliance"
        if intent == "opt_out":
            handled = self._apply_opt_out(source="keyword")
        elif intent == "help":
            handled = self._apply_help()
        elif intent == "opt_in" and engine.normalize(text) != "yes":
            handled = self._apply_opt_in(source="keyword")
        else:
            handled, handled_by = self.env["sms.prompt"]._route(self), "prompt"
            if not handled and intent == "opt_in":
                handled, handled_by = self._apply_opt_in(source="keyword"), "compliance"
            if not handled:
                rule, match = self.env["sms.keyword"]._match(text, self.company_id)
                handled = bool(rule) and rule._run(self, match) is not False
            if not handled:
                handled = self._route_to_faq()
        if not handled:
            conversation._handoff(self)
        self.handled_by = self.handled_by or handled_by
        if self.handled_by == "handoff":
            conversation._request_reply_suggestion(self)
        return handled

    # ------------------------------------------------------------ FAQ
    def _route_to_faq(self):
        """Answer a free-text question from the company's FAQ; True when answered.

        Only above the company's confidence threshold, and through the capped
        auto-reply (loop protection): an answer that cannot be sent leaves the
        message to a person.  Compliance words, empty or automated messages and
        requests for a person are never answered (the engine refuses them).
        """
        self.ensure_one()
        lang = self.partner_id.lang or None
        entry, found = self.env["sms.faq"]._match(
            self.body or "", self.company_id, lang
        )
        if not entry or not found.answers(self.company_id.sms_faq_threshold):
            return False
        if not self.conversation_id._send_auto_reply(
            entry._render_answer(self.partner_id, self.company_id)
        ):
            return False
        _logger.info(
            "SMS %s answered by FAQ entry %s (confidence %.2f)",
            self.id,
            entry.id,
            found.confidence,
        )
        entry._increment("answer_count")
        self.write(
            {
                "handled_by": "faq",
                "faq_id": entry.id,
                "faq_confidence": found.confidence,
            }
        )
        return True

    def _count_faq_person_request(self):
        """A request for a person just after an FAQ answer counts against that answer."""
        if not faq_engine.asks_for_person(self.body or ""):
            return
        since = fields.Datetime.now() - timedelta(hours=FAQ_FOLLOW_UP_HOURS)
        previous = self.sudo().search(
            [
                ("conversation_id", "=", self.conversation_id.id),
                ("direction", "=", "inbound"),
                ("id", "!=", self.id),
                ("create_date", ">=", since),
            ],
            limit=1,
        )
        if previous.handled_by == "faq" and previous.faq_id:
            previous.faq_id._increment("person_request_count")

    # ------------------------------------------------------------ compliance
    def _apply_opt_out(self, source):
        """Opt the number out; cancel its open questions; confirm once."""
        self.ensure_one()
        Consent = self.env["sms.consent"]
        was_opted_out = Consent._is_opted_out(self.number)
        Consent._record_opt_out(
            self.number,
            source,
            partner=self.partner_id,
            text=self.body,
            gateway=self.gateway_id,
            message=self,
        )
        self.env["sms.prompt"].sudo().search(
            [("conversation_id", "=", self.conversation_id.id), ("state", "=", "open")]
        )._cancel_for_opt_out()
        if not was_opted_out:
            self._send_compliance_answer("sms_opt_out_body")
        return True

    def _apply_opt_in(self, source):
        """Opt the number back in; False (a person answers) when an opt-out given elsewhere still holds."""
        self.ensure_one()
        Consent = self.env["sms.consent"]
        Consent._record_opt_in(
            self.number,
            source,
            partner=self.partner_id,
            text=self.body,
            gateway=self.gateway_id,
            message=self,
        )
        if Consent._is_opted_out(self.number):
            return False
        self._send_compliance_answer("sms_opt_in_body")
        return True

    def _apply_help(self):
        self._send_compliance_answer("sms_help_body")
        return True

    def _send_compliance_answer(self, body_field):
        """Answer STOP/START/HELP, unless the provider already answers them itself."""
        if self.gateway_id.provider_handles_opt_out:
            return False
        company = self.company_id
        body = company._sms_render(company[body_field])
        if body:
            self.conversation_id._send_text(body, category="compliance")
        return True

    # ------------------------------------------------------------ outbound
    @api.model
    def _prepare_outbound(self, gateway, sms_records):
        """The outbound message of each ``sms.sms``, created on first attempt, in order.

        A constant number of queries per batch: one search for the messages of
        earlier attempts, and for the others one lookup of their conversations
        and one insert.
        """
        existing = {
            m.sms_uuid: m
            for m in self.search([("sms_uuid", "in", sms_records.mapped("uuid"))])
        }
        new_sms = sms_records.filtered(lambda sms: sms.uuid not in existing)
        if new_sms:
            conversations = self.env["sms.conversation"]._get_or_create_many(
                gateway,
                [
                    gateway._normalize_number(
                        sms.number, country=sms.partner_id.country_id
                    )
                    or sms.number
                    for sms in new_sms
                ],
                [sms.partner_id for sms in new_sms],
            )
            created = self.create(
                [
                    self._prepare_outbound_vals(gateway, sms, conversation)
                    for sms, conversation in zip(new_sms, conversations, strict=True)
                ]
            )
            self.env["sms.conversation"]._register_outbound(created)
            existing.update(zip(new_sms.mapped("uuid"), created, strict=True))
        return self.browse([existing[sms.uuid].id for sms in sms_records])

    @api.model
    def _prepare_outbound_vals(self, gateway, sms, conversation):
        category = sms.sms_two_way_category or conversation._get_default_category()
        vals = {
            "conversation_id": conversation.id,
            "gateway_id": gateway.id,
            "direction": "outbound",
            "body": sms.body,
            "sms_uuid": sms.uuid,
            "mail_message_id": sms.mail_message_id.id,
            "category": category,
            "is_auto_reply": sms.sms_two_way_auto_reply,
            "author_id": self._get_person_author(sms, category).id,
        }
        if media := sms.sms_two_way_attachment_ids:
            # Only for MMS: an empty many2many command still costs a relation write per batch.
            vals["attachment_ids"] = [(6, 0, media.ids)]
        return vals

    @api.model
    def _get_person_author(self, sms, category):
        """The user who wrote ``sms`` by hand, or no user when automation sent it.

        A direct, non-automatic text created by an internal user (not the
        superuser that automation runs as) is a person's answer.
        """
        user = sms.create_uid
        if (
            category == "direct"
            and not sms.sms_two_way_auto_reply
            and user
            and not user._is_superuser()
            and user._is_internal()
        ):
            return user
        return self.env["res.users"]

    def _get_media_urls(self, hours=MEDIA_URL_HOURS):
        """Public URLs of this MMS's media for the provider to fetch, valid for ``hours``.

        Signed with the database secret and expiring, so that a URL seen by
        the provider (or leaked from its logs) does not open the file forever.
        """
        self.ensure_one()
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        expires = int(time.time()) + hours * 3600
        return [
            url_join(
                base_url,
                f"/sms_two_way/media/{attachment.id}/{expires}/"
                f"{self._sign_media(attachment.id, expires)}",
            )
            for attachment in self.attachment_ids
        ]

    @api.model
    def _sign_media(self, attachment_id, expires):
        return hmac(
            self.env(su=True), "sms_two_way.media", f"{attachment_id}:{expires}"
        )

    @api.model
    def _get_signed_media(self, attachment_id, expires, signature):
        """The attachment a media URL names, if its signature holds and it has not expired."""
        if expires < time.time() or not consteq(
            self._sign_media(attachment_id, expires), signature
        ):
            return self.env["ir.attachment"]
        return self.env["ir.attachment"].sudo().browse(attachment_id).exists()

    def _filter_sendable_now(self):
        """Outbound messages that may leave now; the others are refused or deferred.

        Opted-out numbers are refused before the provider (compliance answers
        excepted).  Automated and marketing messages outside the recipient's
        allowed hours, or over a strict profile's daily marketing cap, wait in
        the queue with a "not before" date.  One opt-out lookup per batch.
        """
        sendable = refused = self.browse()
        now = fields.Datetime.now()
        sms_by_uuid = self._get_sms_by_uuid()
        opted_out = self.env["sms.consent"]._get_opted_out_numbers(
            self.filtered(lambda m: m.category != "compliance").mapped("number")
        )
        for message in self:
            sms = sms_by_uuid.get(message.sms_uuid, self.env["sms.sms"])
            if message.category != "compliance" and message.number in opted_out:
                refused |= message
                continue
            if sms.sms_two_way_not_before and sms.sms_two_way_not_before > now:
                continue
            not_before = message._get_not_before(now)
            if not_before > now:
                sms.sms_two_way_not_before = not_before
                message.error_message = self.env._(
                    "Deferred to the recipient's allowed hours (%s UTC).", not_before
                )
                continue
            sendable |= message
        if refused:
            refused._apply_send_results(
                [
                    {
                        "state": "error",
                        "failure_type": "sms_optout",
                        "error_message": self.env._("The recipient opted out of SMS."),
                    }
                ]
                * len(refused)
            )
        return sendable

    def _get_not_before(self, now):
        """When this message may be sent, per quiet hours and the strict profiles."""
        self.ensure_one()
        company = self.company_id
        if (
            self.category not in ("automated", "marketing")
            or not company.sms_quiet_hours
        ):
            return now
        partner = self.partner_id
        tz = pick_timezone(partner.tz, self.number, company.partner_id.tz)
        start, end = company.sms_quiet_start, company.sms_quiet_end
        profile = self._get_quiet_profile()
        if profile:  # a strict profile replaces the company's window
            start, end = profile.start_hour, profile.end_hour
        not_before = next_allowed_time(now, tz, start, end)
        if profile.max_marketing_per_day and self.category == "marketing":
            since = now - timedelta(days=1)
            recent = self.search(
                [
                    ("conversation_id", "=", self.conversation_id.id),
                    ("category", "=", "marketing"),
                    ("state", "in", ("queued", "sent", "delivered")),
                    ("create_date", ">", since),
                    ("id", "!=", self.id),
                ],
                order="create_date asc",
            )
            if len(recent) >= profile.max_marketing_per_day:
                oldest_to_expire = recent[len(recent) - profile.max_marketing_per_day]
                not_before = max(
                    not_before,
                    next_allowed_time(
                        oldest_to_expire.create_date + timedelta(days=1), tz, start, end
                    ),
                )
        return not_before

    def _get_quiet_profile(self):
        try:
            region = phonenumbers.region_code_for_number(
                phonenumbers.parse(self.number)
            )
        except phonenumbers.NumberParseException:
            return self.env["sms.quiet.profile"]
        return self.env["sms.quiet.profile"]._find(
            self.company_id, region, self.partner_id.state_id
        )

    def _get_sms_by_uuid(self):
        """``{uuid: sms.sms}`` of these messages still in Odoo's queue, in one query."""
        uuids = [uuid for uuid in self.mapped("sms_uuid") if uuid]
        if not uuids:
            return {}
        return {
            sms.uuid: sms
            for sms in self.env["sms.sms"].sudo().search([("uuid", "in", uuids)])
        }

    def _get_tracker(self):
        return (
            self.env["sms.tracker"].sudo().search([("sms_uuid", "=", self.sms_uuid)])
            if self.sms_uuid
            else self.env["sms.tracker"]
        )

    def _mark_sending(self):
        """Being handed to the provider: should Odoo die before the answer, the outcome is unknown.

        The ``sms.sms`` leave the queue (*Processing*), so no other worker
        claims them while the provider is being called.  Two writes per batch.
        """
        self.write(
            {
                "state": "unknown",
                "error_message": self.env._("Being sent to the provider."),
            }
        )
        self.env["sms.sms"].union(*self._get_sms_by_uuid().values()).write(
            {"state": "process"}
        )

    def _apply_send_results(self, results):
        """Apply what ``sms.provider._start_batch`` gave of these messages (one result each, in order).

        ``result['state']`` is one of ``accepted``, ``retry`` (not sent, try
        again later), ``ambiguous`` (may have been sent: check before
        retrying) or ``error`` (refused, with ``failure_type``).  The
        ``sms.sms``, their trackers (``mail.notification``) and the chatter
        are updated per resulting state, not per message, as Odoo's own
        ``sms.sms._send`` does; each message keeps its own provider id and error.
        """
        if not self:
            return
        sms_by_uuid = self._get_sms_by_uuid()
        SMS = self.env["sms.sms"].sudo().with_context(sms_skip_msg_notification=True)
        by_state = defaultdict(list)
        for message, result in zip(self, results, strict=True):
            by_state[SEND_RESULT_TO_OUTCOME[result["state"]]].append((message, result))
        write_grouped(
            self,
            {
                message.id: self._get_send_result_vals(result)
                for message, result in zip(self, results, strict=True)
            },
        )
        accepted = SMS.union(
            *(sms_by_uuid.get(m.sms_uuid, SMS) for m, _r in by_state["accepted"])
        )
        accepted.sms_tracker_id._action_update_from_sms_state("pending")
        accepted.write({"state": "pending", "failure_type": False, "to_delete": True})
        queued_again = SMS.union(
            *(sms_by_uuid.get(m.sms_uuid, SMS) for m, _r in by_state["queued_again"])
        )
        queued_again.filtered(lambda s: s.state == "process").write(
            {"state": "outgoing"}
        )
        refused = defaultdict(lambda: SMS)  # (failure type, reason): their sms.sms
        for message, result in by_state["refused"]:
            failure_type = result.get("failure_type") or "unknown"
            key = (failure_type, result.get("error_message"))
            refused[key] |= sms_by_uuid.get(message.sms_uuid, SMS)
            message._check_opt_out_error(result.get("error_code"))
        for (failure_type, reason), sms in refused.items():
            sms.sms_tracker_id._action_update_from_sms_state(
                "error", failure_type=failure_type, failure_reason=reason
            )
            sms.write({"state": "error", "failure_type": failure_type})
        self.mail_message_id._notify_message_notification_update()

    @api.model
    def _get_send_result_vals(self, result):
        """The values of an outbound message after the provider's ``result``."""
        outcome = SEND_RESULT_TO_OUTCOME[result["state"]]
        vals = {"state": SEND_RESULT_TO_MESSAGE_STATE[result["state"]]}
        if outcome == "accepted":
            return {
                **vals,
                "provider_sid": result["provider_sid"],
                "error_message": False,
            }
        if outcome == "queued_again":
            return {**vals, "error_message": result.get("error_message")}
        return {
            **vals,
            "failure_type": result.get("failure_type") or "unknown",
            "error_code": result.get("error_code"),
            "error_message": result.get("error_message"),
        }

    def _apply_status(self, status, error_code=None, error_message=None):
        """Apply a delivery status callback, never moving a message backwards."""
        self.ensure_one()
        new_state = STATUS_TO_MESSAGE_STATE.get(status)
        if not new_state or STATE_RANK.get(new_state, 0) < STATE_RANK.get(
            self.state, 0
        ):
            return
        self.write(
            {
                "state": new_state,
                "error_code": error_code or self.error_code,
                "error_message": error_message or self.error_message,
            }
        )
        tracker = self._get_tracker()
        if sms_state := STATUS_TO_SMS_STATE.get(status):
            tracker._action_update_from_sms_state(sms_state)
        elif str(error_code or "") in OPT_OUT_ERROR_CODES:
            tracker._action_update_from_sms_state("error", failure_type="sms_optout")
        else:
            tracker._action_update_from_provider_error("not_delivered")
        self._check_opt_out_error(error_code)

    def _check_opt_out_error(self, error_code):
        """The provider refused because the recipient opted out: record it in Odoo too."""
        if str(error_code or "") in OPT_OUT_ERROR_CODES:
            self.env["sms.consent"]._record_opt_out(
                self.number,
                partner=self.partner_id,
                source="provider",
                text=self.env._("Provider error %(code)s", code=error_code),
                gateway=self.gateway_id,
                message=self,
            )
