from odoo import fields, models


class CrmLead(models.Model):
    """Leads created by SMS campaigns keep their campaign, conversation and answers."""

    _inherit = "crm.lead"

    sms_campaign_id = fields.Many2one(
        "sms.campaign",
        "SMS campaign",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    sms_conversation_id = fields.Many2one(
        "sms.conversation",
        "SMS conversation",
        ondelete="set null",
        readonly=True,
        groups="sms_two_way.group_sms_user",
    )
    sms_campaign_answers = fields.Text(
        "SMS answers",
        readonly=True,
        help="The qualification questions and what the person replied.",
    )

    def action_open_sms_campaign(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sms.campaign",
            "res_id": self.sms_campaign_id.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_open_sms_conversation(self):
        self.ensure_one()
        return self.sms_conversation_id._get_form_action()
