from odoo import fields, models, tools

from ..models.calendar_attendee import SMS_CONFIRMATION_STATES


class SmsAppointmentReport(models.Model):
    """One row per attendee asked by SMS, to follow confirmation and no-answer rates per week.

    The rates are 100 or 0 per row and averaged, so that grouping by week
    (or organizer, tag...) gives the percentage directly.  Calendar events
    have no company; a row belongs to the company whose gateway asked (the
    conversation's), else the organizer's, like the request itself.
    """

    _name = "sms.appointment.report"
    _description = "SMS Appointment Confirmation Analysis"
    _auto = False
    _order = "event_start desc"
    _rec_name = "event_id"

    attendee_id = fields.Many2one("calendar.attendee", "Attendance", readonly=True)
    event_id = fields.Many2one("calendar.event", "Event", readonly=True)
    partner_id = fields.Many2one("res.partner", "Attendee", readonly=True)
    user_id = fields.Many2one("res.users", "Organizer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    event_start = fields.Datetime("Event start", readonly=True)
    requested_at = fields.Datetime("Requested on", readonly=True)
    sms_confirmation_state = fields.Selection(
        SMS_CONFIRMATION_STATES, "SMS confirmation", readonly=True
    )
    request_count = fields.Integer("Requests", readonly=True)
    confirmation_rate = fields.Float(
        "Confirmation rate (%)", readonly=True, aggregator="avg"
    )
    no_answer_rate = fields.Float("No-answer rate (%)", readonly=True, aggregator="avg")
    decline_rate = fields.Float(
        "Cancellation rate (%)", readonly=True, aggregator="avg"
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                SELECT a.id AS id,
                       a.id AS attendee_id,
                       a.event_id AS event_id,
                       a.partner_id AS partner_id,
                       e.user_id AS user_id,
                       COALESCE(c.company_id, u.company_id) AS company_id,
                       e.start AS event_start,
                       a.sms_requested_at AS requested_at,
                       a.sms_confirmation_state AS sms_confirmation_state,
                       1 AS request_count,
                       CASE WHEN a.sms_confirmation_state = 'confirmed' THEN 100.0 ELSE 0.0 END AS confirmation_rate,
                       CASE WHEN a.sms_confirmation_state = 'no_answer' THEN 100.0 ELSE 0.0 END AS no_answer_rate,
                       CASE WHEN a.sms_confirmation_state = 'declined' THEN 100.0 ELSE 0.0 END AS decline_rate
                  FROM calendar_attendee a
                  JOIN calendar_event e ON e.id = a.event_id
                  LEFT JOIN sms_conversation c ON c.id = a.sms_conversation_id
                  LEFT JOIN res_users u ON u.id = e.user_id
                 WHERE a.sms_requested_at IS NOT NULL AND e.active
            )""")
