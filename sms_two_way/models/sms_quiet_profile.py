from odoo import api, fields, models, tools


class SmsQuietProfile(models.Model):
    """Stricter sending rules for recipients of a country (or some of its states)."""

    _name = "sms.quiet.profile"
    _inherit = ["sms.cached.mixin"]  # _find_id, on any change
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
    def _find(self, company, country_code, state=None):
        """The profile applying to a recipient in the country ``country_code`` (and ``state``), if any.

        Asked for every automated or marketing SMS of a batch: answered from
        an ormcache, cleared whenever a profile changes.
        """
        if not country_code:
            return self.browse()
        return self.sudo().browse(
            self._find_id(company.id, country_code, state.id if state else False)
        )

    @api.model
    @tools.ormcache("company_id", "country_code", "state_id")
    def _find_id(self, company_id, country_code, state_id):
        # Shared by every caller: never read through one caller's context (active_test, lang...).
        profiles = (
            self.sudo()
            .with_context(active_test=True)
            .search(
                [
                    ("company_id", "in", [company_id, False]),
                    ("country_id.code", "=", country_code),
                ]
            )
        )
        profile = (
            profiles.filtered(lambda p: state_id and state_id in p.state_ids.ids)
            or profiles.filtered(lambda p: not p.state_ids)
        )[:1]
        return profile.id or None
