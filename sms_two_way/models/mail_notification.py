from odoo import fields, models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    failure_type = fields.Selection(
        selection_add=[("sms_optout", "Opted Out")],
        ondelete={"sms_optout": lambda recs: recs.write({"failure_type": "unknown"})},
    )
