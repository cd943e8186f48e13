from odoo import fields, models


class ResCompany(models.Model):
    """Company default of how long before an appointment its SMS confirmation is requested."""

    _inherit = "res.company"

    sms_appointment_lead_hours = fields.Integer(
        "SMS confirmation lead time (hours)",
        default=24,
        help="Calendar events get their SMS confirmation request this many hours before they start. "
        "Event types and events may override it. 0: no automatic requests.",
    )
