from odoo import fields, models


class SmsPrompt(models.Model):
    """Campaign questions: the double opt-in "Reply Y" and the qualification questions."""

    _inherit = "sms.prompt"

    kind = fields.Selection(
        selection_add=[
            ("campaign_confirm", "Campaign: confirm subscription"),
            ("campaign_question", "Campaign: qualification question"),
        ],
        ondelete={"campaign_confirm": "cascade", "campaign_question": "cascade"},
    )
