from odoo import models

from .xmlid import cached_ref


class MailActivity(models.Model):
    """Marking an "SMS reply" activity done marks its conversation done: they always agree."""

    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        conversations = self.env["sms.conversation"]
        if not self.env.context.get("sms_two_way_settling"):
            reply_type = cached_ref(
                self.env, "sms_two_way.mail_activity_data_sms_reply"
            )
            conversations = conversations.browse(
                {
                    activity.res_id
                    for activity in self
                    if activity.res_model == "sms.conversation"
                    and activity.activity_type_id == reply_type
                }
            )
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if conversations := conversations.sudo().exists().filtered("needs_reply"):
            conversations.with_context(sms_two_way_settling=True)._settle(
                "done", self.env.user
            )
        return result
