from odoo import fields, models


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
        domain="[('model', '=', 'crm.lead'), ('ttype', 'in', ('char', 'text')), ('store', '=', True), "
        "('readonly', '=', False)]",
        help="Also write the answer in this lead field (all answers are kept in the lead's SMS answers).",
    )
