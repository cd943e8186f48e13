from odoo import fields, models


class ResUsers(models.Model):
    """Each user chooses whether a customer's SMS handed to them notifies them."""

    _inherit = "res.users"

    sms_notify_replies = fields.Boolean(
        "Notify me of SMS replies",
        default=True,
        help="When a customer's SMS is handed to you, Odoo notifies you (inbox or e-mail, as for other "
        "notifications) once per burst of messages. Off: the SMS reply activity is still created, silently.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["sms_notify_replies"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + ["sms_notify_replies"]
