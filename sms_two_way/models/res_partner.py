from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    sms_conversation_ids = fields.One2many(
        "sms.conversation",
        "partner_id",
        "SMS Conversations",
        groups="sms_two_way.group_sms_user",
    )
    sms_conversation_count = fields.Integer(
        compute="_compute_sms_conversation_count",
        string="SMS",
        groups="sms_two_way.group_sms_user",
    )

    def _compute_sms_conversation_count(self):
        counts = dict(
            self.env["sms.conversation"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.sms_conversation_count = counts.get(partner, 0)

    def action_open_sms_conversation(self):
        """Open the contact's SMS conversation, ready to reply (created on first use)."""
        self.ensure_one()
        self.env["sms.conversation"].check_access(
            "create"
        )  # SMS users only: creation below is sudo'ed
        conversation = self.sms_conversation_ids[:1] or self.env[
            "sms.conversation"
        ]._get_for_recipient(partner=self)
        if not conversation:
            return self.env["ir.actions.act_window"]._for_xml_id(
                "sms.res_partner_act_window_sms_composer_single"
            )
        return conversation._get_form_action()
