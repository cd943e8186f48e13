import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")


# One file per provider, as sms_gateway_simulator.py: not merged on purpose.
class SmsGatewayTwilio(models.Model):
    _inherit = "sms.gateway"  # pylint: disable=consider-merging-classes-inherited

    provider = fields.Selection(
        selection_add=[("twilio", "Twilio")], ondelete={"twilio": "cascade"}
    )
    twilio_account_sid = fields.Char("Account SID")
    twilio_auth_token = fields.Char(
        "Auth Token", groups="base.group_system", copy=False
    )
    twilio_from_number = fields.Char(
        "From Number", help="The Twilio number, in E.164 form (+14155550100)."
    )
    twilio_messaging_service_sid = fields.Char(
        "Messaging Service SID",
        help="Send through a Messaging Service instead of a single number.",
    )

    @api.constrains("provider", "twilio_from_number", "twilio_messaging_service_sid")
    def _check_twilio_sender(self):
        for gateway in self.filtered(lambda g: g.provider == "twilio"):
            if (
                not gateway.twilio_from_number
                and not gateway.twilio_messaging_service_sid
            ):
                raise ValidationError(
                    self.env._(
                        "A Twilio gateway needs a From Number or a Messaging Service SID."
                    )
                )
            if gateway.twilio_from_number and not E164_RE.match(
                gateway.twilio_from_number
            ):
                raise ValidationError(
                    self.env._(
                        "The From Number must be in E.164 form, e.g. +14155550100."
                    )
                )
