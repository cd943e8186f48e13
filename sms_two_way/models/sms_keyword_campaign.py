from odoo import fields, models


class SmsKeyword(models.Model):
    """Campaign actions: join (one synchronised rule per campaign), confirm and answer."""

    _inherit = "sms.keyword"

    campaign_id = fields.Many2one(
        "sms.campaign",
        "SMS campaign",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
        help="Rule kept in line with the campaign's join keywords: edit the campaign instead.",
    )
    action = fields.Selection(
        selection_add=[
            ("campaign_join", "Join an SMS campaign"),
            ("campaign_confirm", "Confirm a campaign subscription"),
            ("campaign_answer", "Answer a campaign question"),
        ],
        ondelete={
            "campaign_join": "cascade",
            "campaign_confirm": "cascade",
            "campaign_answer": "cascade",
        },
    )

    def _get_handled_by(self, prompt):
        if self.action in ("campaign_join", "campaign_confirm", "campaign_answer"):
            return "campaign"
        return super()._get_handled_by(prompt)

    def _action_campaign_join(self, message, match, prompt):
        if not self.campaign_id:
            return False
        return self.campaign_id.sudo()._sms_join(message)

    def _action_campaign_confirm(self, message, match, prompt):
        subscriber = prompt._get_record() if prompt else None
        if not subscriber or subscriber._name != "sms.campaign.subscriber":
            return False
        prompt._close()
        if subscriber.state != "pending":
            return True
        subscriber.sudo()._confirm(message)
        return True

    def _action_campaign_answer(self, message, match, prompt):
        subscriber = prompt._get_record() if prompt else None
        if not subscriber or subscriber._name != "sms.campaign.subscriber":
            return False
        return subscriber.sudo()._record_answer(prompt, message)
