from odoo import api, fields, models


class SmsSms(models.Model):
    """Route Odoo's own SMS through the company's two-way gateway.

    Every ``sms.sms`` (composer, templates, server actions, reminders, mass
    SMS) of a company with an active gateway is sent by that gateway, so all
    of Odoo's SMS features gain replies.  Other SMS keep Odoo's IAP path.
    """

    _inherit = "sms.sms"

    gateway_id = fields.Many2one("sms.gateway", readonly=True, index="btree_not_null", ondelete="set null")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "gateway_id" not in vals:
                gateway = self._get_gateway_for_number(vals.get("number"))
                vals["gateway_id"] = gateway.id
        return super().create(vals_list)

    @api.model
    def _get_gateway_for_number(self, number):
        """The gateway to send to ``number``: the explicit one, the one the customer
        already talks to, or the company's default."""
        Gateway = self.env["sms.gateway"].sudo()
        if gateway_id := self.env.context.get("sms_two_way_gateway_id"):
            return Gateway.browse(gateway_id)
        company = self.env.company
        default = Gateway._get_default_for_company(company)
        if not default or not number:
            return default
        e164 = default._normalize_number(number)
        conversation = self.env["sms.conversation"].sudo().search([
            ("number", "=", e164), ("company_id", "=", company.id), ("gateway_id.active", "=", True),
        ], order="last_message_date desc", limit=1)
        return conversation.gateway_id or default

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        by_gateway = self.grouped("gateway_id")
        if iap_sms := by_gateway.pop(self.env["sms.gateway"], None):
            super(SmsSms, iap_sms)._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent,
                                         raise_exception=raise_exception)
        for gateway, sms_records in by_gateway.items():
            if gateway.active:
                gateway._send_sms_records(sms_records)
            else:
                super(SmsSms, sms_records)._send(unlink_failed=unlink_failed, unlink_sent=unlink_sent,
                                                 raise_exception=raise_exception)
