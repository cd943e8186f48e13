from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The crm.lead fields an answer may be copied into: free-text details about the
# prospect.  Fields that route, score or reach the lead (stage, probability,
# salesperson, email, phone...) are never written from an SMS.
ANSWER_LEAD_FIELDS = [
    "contact_name",
    "partner_name",
    "function",
    "website",
    "street",
    "street2",
    "city",
    "zip",
]


class SmsCampaignQuestion(models.Model):
    """One question of a campaign's qualification flow; its answer lands on the lead."""

    _name = "sms.campaign.question"
    _description = "SMS Campaign Question"
    _order = "sequence, id"

    campaign_id = fields.Many2one(
        "sms.campaign", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    question = fields.Text(required=True, translate=True)
    lead_field_id = fields.Many2one(
        "ir.model.fields",
        "Store answer in",
        ondelete="set null",
        domain=[("model", "=", "crm.lead"), ("name", "in", ANSWER_LEAD_FIELDS)],
        help="Also write the answer in this lead field (all answers are kept in the lead's SMS answers). "
        "Only free-text details of the prospect may be chosen.",
    )

    @api.constrains("lead_field_id")
    def _check_lead_field(self):
        for question in self.sudo().filtered("lead_field_id"):
            field = question.lead_field_id
            if field.model != "crm.lead" or field.name not in ANSWER_LEAD_FIELDS:
                raise ValidationError(
                    self.env._(
                        "Answers can only be stored in these lead fields: %s.",
                        ", ".join(ANSWER_LEAD_FIELDS),
                    )
                )
