from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sms_appointment_lead_hours = fields.Integer(
        related="company_id.sms_appointment_lead_hours", readonly=False
    )
