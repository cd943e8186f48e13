from datetime import timedelta

from odoo import fields, models

from .sms_prompt import APPOINTMENT_KINDS

# A reply to an appointment request older than this is not treated as late: it is just a message.
LATE_REPLY_DAYS = 30


class SmsKeyword(models.Model):
    """Keyword actions answering appointment requests."""

    _inherit = "sms.keyword"

    action = fields.Selection(
        selection_add=[
            ("appointment_confirm", "Appointment: confirm"),
            ("appointment_decline", "Appointment: cancel (decline)"),
            ("appointment_reschedule", "Appointment: offer new times"),
            ("appointment_slot", "Appointment: pick a proposed time"),
            ("appointment_late", "Appointment: answer a closed request"),
        ],
        ondelete={
            "appointment_confirm": "cascade",
            "appointment_decline": "cascade",
            "appointment_reschedule": "cascade",
            "appointment_slot": "cascade",
            "appointment_late": "cascade",
        },
    )

    def _sms_appointment_attendee(self, message, prompt):
        """The attendee the prompt asks about, or False once the reply was answered as late."""
        attendee = (
            prompt._get_record()
            if prompt and prompt.res_model == "calendar.attendee"
            else None
        )
        attendee = attendee or self.env["calendar.attendee"]
        problem = attendee._sms_get_reply_problem(prompt.kind if prompt else None)
        if problem:
            if prompt:
                prompt._close("cancelled")
            if attendee:
                attendee._sms_late_reply(message, problem)
            else:
                message.conversation_id._handoff(
                    message,
                    reason=self.env._(
                        "Reply about an appointment that no longer exists."
                    ),
                )
            return False
        return attendee

    def _sms_on_attendee(self, message, prompt, method, *args):
        """Run ``method`` on the attendee the prompt asks about.

        Every path answers the customer or hands off (a late reply is answered
        by ``_sms_appointment_attendee``), so the reply is always handled.
        """
        attendee = self._sms_appointment_attendee(message, prompt)
        if attendee:
            getattr(attendee, method)(message, *args)
        return True

    def _action_appointment_confirm(self, message, match, prompt):
        return self._sms_on_attendee(message, prompt, "_sms_confirm")

    def _action_appointment_decline(self, message, match, prompt):
        return self._sms_on_attendee(message, prompt, "_sms_decline")

    def _action_appointment_reschedule(self, message, match, prompt):
        return self._sms_on_attendee(message, prompt, "_sms_reschedule")

    def _action_appointment_slot(self, message, match, prompt):
        return self._sms_on_attendee(message, prompt, "_sms_pick_slot", match.value)

    def _action_appointment_late(self, message, match, prompt):
        """A global rule: C/X/R/1-3 with no open appointment question.

        When the conversation's latest appointment request is closed (expired,
        answered, cancelled by a move), the customer is answered politely and
        a person takes over; otherwise the reply is not about an appointment
        (False: the usual handling goes on).
        """
        since = fields.Datetime.now() - timedelta(days=LATE_REPLY_DAYS)
        latest = (
            self.env["sms.prompt"]
            .sudo()
            .search(
                [
                    ("conversation_id", "=", message.conversation_id.id),
                    ("kind", "in", list(APPOINTMENT_KINDS)),
                    ("create_date", ">=", since),
                ],
                limit=1,
                order="id desc",
            )
        )
        if not latest or (
            latest.state == "open" and latest.expires_at > fields.Datetime.now()
        ):
            return False
        attendee = latest._get_record()
        if not attendee:
            return False
        if latest.state == "answered" and match.value in ("yes", "no"):
            return True  # "ok" or 👍 after a settled request: a courtesy, nothing to do
        problem = attendee._sms_get_reply_problem(latest.kind) or self.env._(
            "the request is no longer open"
        )
        attendee._sms_late_reply(message, problem)
        return True
