from odoo import fields, models


class CalendarEventType(models.Model):
    """A meeting tag may ask for its SMS confirmations earlier or later than the company default."""

    _inherit = "calendar.event.type"

    sms_confirmation_lead_hours = fields.Integer(
        "SMS confirmation lead time (hours)",
        help="Overrides the company's lead time for events with this tag. 0: use the company's.",
    )
