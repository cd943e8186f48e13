from markupsafe import Markup, escape

from odoo import api, fields, models


class SurveySmsInvite(models.TransientModel):
    """Send a survey by SMS to contacts, from the survey or from a list of contacts."""

    _name = "survey.sms.invite"
    _description = "Send a survey by SMS"

    survey_id = fields.Many2one(
        "survey.survey",
        required=True,
        ondelete="cascade",
        domain=[("active", "=", True)],
    )
    partner_ids = fields.Many2many("res.partner", string="Recipients")
    sms_compatible = fields.Boolean(related="survey_id.sms_compatible")
    sms_unsupported_question_ids = fields.Many2many(
        related="survey_id.sms_unsupported_question_ids"
    )
    sendable_count = fields.Integer("Will receive it", compute="_compute_preview")
    skipped_html = fields.Html("Skipped", compute="_compute_preview", sanitize=False)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "partner_ids" in fields_list
            and not values.get("partner_ids")
            and context.get("active_model") == "res.partner"
            and context.get("active_ids")
        ):
            values["partner_ids"] = [(6, 0, context["active_ids"])]
        return values

    @api.depends("survey_id", "partner_ids")
    def _compute_preview(self):
        """Who will not be texted and why, before anything is sent."""
        for wizard in self:
            skipped = []
            if wizard.survey_id:
                for partner in wizard.partner_ids:
                    reason = wizard.survey_id._sms_invite_skip_reason(partner)
                    if reason:
                        skipped.append((partner.display_name, reason))
            wizard.sendable_count = (
                len(wizard.partner_ids) - len(skipped) if wizard.survey_id else 0
            )
            wizard.skipped_html = (
                Markup("<ul>%s</ul>")
                % Markup().join(
                    Markup("<li>%s: %s</li>") % (escape(name), escape(reason))
                    for name, reason in skipped
                )
                if skipped
                else False
            )

    def action_invite(self):
        self.ensure_one()
        user_inputs = self.survey_id.sms_invite(self.partner_ids)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if user_inputs else "warning",
                "message": self.env._(
                    "%(count)s SMS invitation(s) to “%(survey)s” created.",
                    count=len(user_inputs),
                    survey=self.survey_id.title,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
