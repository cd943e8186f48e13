from odoo import fields, models


class SmsGatewaySimulator(models.Model):
    _inherit = "sms.gateway"

    provider = fields.Selection(
        selection_add=[("simulator", "Simulator")], ondelete={"simulator": "cascade"}
    )
    simulator_number = fields.Char(
        "Simulated Number",
        default="+15005550006",
        help="The number simulated handsets see the messages coming from.",
    )
