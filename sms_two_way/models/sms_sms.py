from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL


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

    @api.model_create_multi
    def create(self, vals_list):
        context = self.env.context
        for vals in vals_list:
            if "gateway_id" not in vals:
                vals["gateway_id"] = self._get_gateway_for_number(vals.get("number")).id
            vals.setdefault("sms_two_way_category", context.get("sms_two_way_category"))
            vals.setdefault(
                "sms_two_way_auto_reply", bool(context.get("sms_two_way_auto_reply"))
            )
        return super().create(vals_list)

    @api.model
    def _get_gateway_for_number(self, number):
        if gateway_id := self.env.context.get("sms_two_way_gateway_id"):
            return self.env["sms.gateway"].sudo().browse(gateway_id)
        return self.env["sms.gateway"]._get_for_number(number, self.env.company)

    def _split_batch(self):
        """One SMS per batch on gateways: ``send(auto_commit=True)`` then commits after each
        provider call, so a crash never loses the record of a message the provider accepted."""
        gateway_sms = self.filtered("gateway_id")
        for sms_id in gateway_sms.ids:
            yield [sms_id]
        yield from super(SmsSms, self - gateway_sms)._split_batch()

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
                claimed = [row[0] for row in self.env.cr.fetchall()]
        except SerializationFailure:
            return self.browse()
        return self.browse(claimed)

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        by_gateway = self.grouped("gateway_id")
        if iap_sms := by_gateway.pop(self.env["sms.gateway"], None):
            super(SmsSms, iap_sms)._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )
        for gateway, sms_records in by_gateway.items():
            if gateway.active:
                gateway._send_sms_records(sms_records._claim_outgoing())
            else:
                super(SmsSms, sms_records)._send(
                    unlink_failed=unlink_failed,
                    unlink_sent=unlink_sent,
                    raise_exception=raise_exception,
                )
        return None  # as sms.sms._send
