from odoo import fields, models


class SmsPrompt(models.Model):
    """A survey question texted to a contact is a prompt on its ``survey.user_input``."""

    _inherit = "sms.prompt"

    kind = fields.Selection(
        selection_add=[("survey_question", "Survey question")],
        ondelete={"survey_question": "cascade"},
    )
