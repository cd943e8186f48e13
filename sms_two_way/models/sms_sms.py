import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# A gateway SMS still "Processing" this long after it was marked was being sent by a worker
# that died (a batch takes seconds): it is queued again and checked with the provider first.
INTERRUPTED_SEND_AFTER = timedelta(minutes=15)


SEND_OPTIONS_KEY = "sms_two_way_send_options"


@dataclass(frozen=True)
class SmsSendOptions:
    """How server code wants the next ``sms.sms`` sent: gateway, kind, automatic or not.

    Carried in the context as an object, which no RPC caller can build (JSON
    only carries plain values): a caller who adds ``sms_two_way_category``
    or a gateway id to its context changes nothing.
    """

    gateway_id: int | None = None
    category: str | None = None
    auto_reply: bool = False
    not_before: datetime | None = None  # Send later: queued until then
    attachment_ids: tuple = ()  # MMS media (ir.attachment ids)


def send_options_context(
    gateway=None, category=None, auto_reply=False, not_before=None, attachment_ids=()
):
    """Context to send SMS through ``gateway``, as ``category``; for server code only."""
    return {
        SEND_OPTIONS_KEY: SmsSendOptions(
            gateway.id if gateway else None,
            category,
            bool(auto_reply),
            not_before,
            tuple(attachment_ids or ()),
        )
    }


class SmsSms(models.Model):
    """Route Odoo's own SMS through the company's two-way gateway.

    Every ``sms.sms`` (composer, templates, server actions, reminders, mass
    SMS) of a company with an active gateway is sent by that gateway, so all
    of Odoo's SMS features gain replies.  Other SMS keep Odoo's IAP path.
    """

    _inherit = "sms.sms"

    gateway_id = fields.Many2one(
        "sms.gateway", readonly=True, index="btree_not_null", ondelete="set null"
    )
    sms_two_way_category = fields.Selection(
        [
            ("direct", "Direct reply"),
            ("automated", "Automated"),
            ("marketing", "Marketing"),
            ("compliance", "Compliance"),
        ],
        string="SMS kind",
        readonly=True,
        help="Direct replies and compliance answers go out at once; automated and marketing "
        "messages wait for the recipient's allowed hours. Compliance answers also reach "
        "numbers that just opted out.",
    )
    sms_two_way_auto_reply = fields.Boolean("Automatic reply", readonly=True)
    sms_two_way_not_before = fields.Datetime(
        "Deferred until", readonly=True, index="btree_not_null"
    )
    sms_two_way_attachment_ids = fields.Many2many(
        "ir.attachment",
        string="MMS media",
        readonly=True,
        help="Pictures sent with the text (MMS) by providers that carry media.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        choices = self._get_two_way_context_choices()
        gateway = choices.pop("gateway_id")
        unrouted = [vals for vals in vals_list if "gateway_id" not in vals]
        if gateway:
            gateways = [gateway] * len(unrouted)
        else:
            # One lookup for the whole batch: mass SMS must not pay a query per message.
            gateways = self.env["sms.gateway"]._get_for_numbers(
                [vals.get("number") for vals in unrouted], self.env.company
            )
        for vals, vals_gateway in zip(unrouted, gateways, strict=False):
            vals["gateway_id"] = vals_gateway.id
        for vals in vals_list:
            for field_name, value in choices.items():
                vals.setdefault(field_name, value)
        return super().create(vals_list)

    @api.model
    def _get_two_way_context_choices(self):
        """What the server code sending these SMS chose through the context: the one place reading it.

        ``gateway_id`` (an ``sms.gateway``, empty: route by number) and the
        defaults of the ``sms.sms`` fields ``sms_two_way_category``,
        ``sms_two_way_auto_reply``, ``sms_two_way_not_before`` (Send later) and
        ``sms_two_way_attachment_ids`` (MMS media).  Only an :class:`SmsSendOptions` counts
        (see :func:`send_options_context`): context keys an RPC caller adds
        are ignored.
        """
        options = self.env.context.get(SEND_OPTIONS_KEY)
        if not isinstance(options, SmsSendOptions):
            options = SmsSendOptions()
        return {
            "gateway_id": self.env["sms.gateway"].browse(options.gateway_id or ()),
            "sms_two_way_category": options.category,
            "sms_two_way_auto_reply": options.auto_reply,
            "sms_two_way_not_before": options.not_before or False,
            "sms_two_way_attachment_ids": [(6, 0, list(options.attachment_ids))],
        }

    def send(
        self,
        unlink_failed=False,
        unlink_sent=True,
        auto_commit=False,
        raise_exception=False,
    ):
        """Hand queued SMS of active gateways to their gateway, the others to Odoo's IAP path.

        A gateway sends its SMS in pipelined batches, each committed on its
        own where the caller commits (``auto_commit``, never in tests), so a
        crash loses at most what the provider is asked about before any
        resend (see ``sms.gateway._send_sms_records``).
        """
        queued = self.filtered(
            lambda sms: sms.state == "outgoing" and not sms.to_delete
        )
        ours = queued.filtered(lambda sms: sms.gateway_id.active)
        result = super(SmsSms, queued - ours).send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            auto_commit=auto_commit,
            raise_exception=raise_exception,
        )
        commit = auto_commit is True and not getattr(
            threading.current_thread(), "testing", False
        )
        for gateway, sms_records in ours.grouped("gateway_id").items():
            gateway._send_sms_records(sms_records, commit=commit)
        return result

    @api.model
    def _process_queue(self, ids=None):
        self._requeue_interrupted()
        return super()._process_queue(ids=ids)

    @api.model
    def _requeue_interrupted(self):
        """Queue again the gateway SMS a dead worker left *Processing* (being sent).

        Their outbound messages are *Outcome Unknown*: the next attempt asks
        the provider whether it has them before sending anything again.
        """
        stale = fields.Datetime.now() - INTERRUPTED_SEND_AFTER
        interrupted = self.search(
            [
                ("state", "=", "process"),
                ("gateway_id", "!=", False),
                ("write_date", "<", stale),
            ]
        )
        if interrupted:
            _logger.warning(
                "%s SMS were interrupted while being sent: queued again, checked before resending",
                len(interrupted),
            )
            interrupted.write({"state": "outgoing"})

    def _claim_outgoing(self):
        """Lock these queued SMS for this transaction, skipping those another one is sending.

        The retry cron, Odoo's SMS queue cron, a broadcast and a user can all
        reach one queued SMS; only the transaction holding its lock sends it.
        A row another transaction has just sent cannot be locked under
        repeatable read: the batch is left to the next run.
        """
        if not self:
            return self
        self.flush_recordset(["state"])
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM sms_sms WHERE id = ANY(%s) AND state = 'outgoing' FOR UPDATE SKIP LOCKED",
                        self.ids,
                    ),
                    log_exceptions=False,
                )
                claimed = {row[0] for row in self.env.cr.fetchall()}
        except SerializationFailure:
            return self.browse()
        # In the queue's order, not the query's: texts to one number leave in that order.
        return self.browse([sms_id for sms_id in self.ids if sms_id in claimed])
