from odoo import api, fields, models


class SmsConsent(models.Model):
    """Ledger entries say which campaign a consent was given to, and whether it awaits confirmation."""

    _inherit = "sms.consent"

    campaign_id = fields.Many2one(
        "sms.campaign",
        "SMS campaign",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    campaign_pending = fields.Boolean(
        "Awaiting confirmation",
        readonly=True,
        help="Joined a double opt-in campaign; a later entry records the confirmation.",
    )

    @api.model
    def _record(self, direction, number, source, **kwargs):
        """An opt-out, whatever its origin, ends every campaign subscription of the number."""
        entry = super()._record(direction, number, source, **kwargs)
        if direction == "opt_out":
            self.env["sms.campaign.subscriber"]._mark_opted_out(number)
        return entry
