from odoo import api, fields, models


class SmsQuietProfile(models.Model):
    """Stricter sending rules for recipients of a country (or some of its states)."""

    _name = "sms.quiet.profile"
    _description = "SMS Quiet Hours Profile"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    country_id = fields.Many2one("res.country", required=True)
    state_ids = fields.Many2many(
        "res.country.state",
        domain="[('country_id', '=', country_id)]",
        help="Leave empty for the whole country.",
    )
    start_hour = fields.Float("Allowed from", default=8.0)
    end_hour = fields.Float("Allowed until", default=20.0)
    max_marketing_per_day = fields.Integer(
        "Marketing messages per 24 h", default=3, help="0 means no limit."
    )

    @api.model
    def _find(self, company, country, state=None):
        """The profile applying to a recipient in ``country``/``state``, if any."""
        if not country:
            return self.browse()
        profiles = self.sudo().search(
            [("company_id", "in", [company.id, False]), ("country_id", "=", country.id)]
        )
        return (
            profiles.filtered(lambda p: state and state in p.state_ids)
            or profiles.filtered(lambda p: not p.state_ids)
        )[:1]
