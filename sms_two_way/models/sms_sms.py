import logging
import threading
from datetime import timedelta

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL, split_every

_logger = logging.getLogger(__name__)

# SMS handed to a gateway at once: sent concurrently, then committed together.
GATEWAY_BATCH_SIZE = 100
# A gateway SMS still "Processing" this long after it was marked was being sent by a worker
# that died (a batch takes seconds): it is queued again and checked with the provider first.
INTERRUPTED_SEND_AFTER = timedelta(minutes=15)


class SmsSms(models.Model):
    """Route Odoo's own SMS through the company's two-way gateway.

    Every ``sms.sms`` (composer, templates, server actions, reminders, mass
    SMS) of a company with an active gateway is sent by that gateway, so all
    of Odoo's SMS features gain replies.  Other SMS keep Odoo's IAP path.
    """

    _inherit = "sms.sms"

    gateway_id = fields.Many2one("sms.gateway", readonly=True, index="btree_not_null", ondelete="set null")
    sms_two_way_category = fields.Selection([
        ("direct", "Direct reply"),
        ("automated", "Automated"),
        ("marketing", "Marketing"),
        ("compliance", "Compliance"),
    ], string="SMS kind", readonly=True,
        help="Direct replies and compliance answers go out at once; automated and marketing "
             "messages wait for the recipient's allowed hours. Compliance answers also reach "
             "numbers that just opted out.")
    sms_two_way_auto_reply = fields.Boolean("Automatic reply", readonly=True)
    sms_two_way_not_before = fields.Datetime("Deferred until", readonly=True, index="btree_not_null")

    @api.model_create_multi
    def create(self, vals_list):
        context = self.env.context
        for vals in vals_list:
            if "gateway_id" not in vals:
                vals["gateway_id"] = self._get_gateway_for_number(vals.get("number")).id
            vals.setdefault("sms_two_way_category", context.get("sms_two_way_category"))
            vals.setdefault("sms_two_way_auto_reply", bool(context.get("sms_two_way_auto_reply")))
        return super().create(vals_list)

    @api.model
    def _get_gateway_for_number(self, number):
        if gateway_id := self.env.context.get("sms_two_way_gateway_id"):
            return self.env["sms.gateway"].sudo().browse(gateway_id)
        return self.env["sms.gateway"]._get_for_number(number, self.env.company)

    def send(self, unlink_failed=False, unlink_sent=True, auto_commit=False, raise_exception=False):
        # Gateways commit "being sent" before calling the provider, only where the caller commits.
        commit = auto_commit is True and not getattr(threading.current_thread(), "testing", False)
        return super(SmsSms, self.with_context(sms_two_way_commit=commit)).send(
            unlink_failed=unlink_failed, unlink_sent=unlink_sent, auto_commit=auto_commit,
            raise_exception=raise_exception)

    def _split_batch(self):
        """Gateway SMS in batches the gateway sends concurrently; each is committed on its own
        by ``send(auto_commit=True)``, so a crash loses at most one batch's answers."""
        gateway_sms = self.filtered("gateway_id")
        yield from split_every(GATEWAY_BATCH_SIZE, gateway_sms.ids, list)
        yield from super(SmsSms, self - gateway_sms)._split_batch()

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
        interrupted = self.search([("state", "=", "process"), ("gateway_id", "!=", False), ("write_date", "<", stale)])
        if interrupted:
            _logger.warning("%s SMS were interrupted while being sent: queued again, checked before resending",
                            len(interrupted))
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
                self.env.cr.execute(SQL(
                    "SELECT id FROM sms_sms WHERE id = ANY(%s) AND state = 'outgoing' FOR UPDATE SKIP LOCKED",
                    self.ids), log_exceptions=False)
                claimed = [row[0] for row in self.env.cr.fetchall()]
        except SerializationFailure:
            return self.browse()
        return self.browse(claimed)

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        by_gateway = self.grouped("gateway_id")
        if iap_sms := by_gateway.pop(self.env["sms.gateway"], None):
            super(SmsSms, iap_sms)._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent,
                                         raise_exception=raise_exception)
        for gateway, sms_records in by_gateway.items():
            if gateway.active:
                gateway._send_sms_records(sms_records._claim_outgoing(),
                                          commit=self.env.context.get("sms_two_way_commit", False))
            else:
                super(SmsSms, sms_records)._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent,
                                                 raise_exception=raise_exception)
