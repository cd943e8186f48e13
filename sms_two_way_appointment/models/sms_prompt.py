from odoo import fields, models

APPOINTMENT_KINDS = ("appointment_confirmation", "appointment_slot")


class SmsPrompt(models.Model):
    """Questions asked about a ``calendar.attendee``: confirm it, or pick a new slot."""

    _inherit = "sms.prompt"

    kind = fields.Selection(
        selection_add=[
            ("appointment_confirmation", "Appointment confirmation"),
            ("appointment_slot", "Appointment new time"),
        ],
        ondelete={"appointment_confirmation": "cascade", "appointment_slot": "cascade"},
    )
