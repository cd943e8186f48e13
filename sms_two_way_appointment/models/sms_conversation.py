from markupsafe import Markup

from odoo import fields, models
from odoo.tools import plaintext2html

from .sms_prompt import APPOINTMENT_KINDS


class SmsConversation(models.Model):
    """Replies about an appointment that automation cannot handle go to its organizer."""

    _inherit = "sms.conversation"

    def _sms_appointment_attendees(self):
        """Attendees this conversation is being asked about, or was in the handoff's context."""
        self.ensure_one()
        given = self.env.context.get("sms_appointment_attendee_ids") or []
        attendees = self.env["calendar.attendee"].sudo().browse(given)
        prompts = (
            self._get_open_prompts()
            .sudo()
            .filtered(lambda prompt: prompt.kind in APPOINTMENT_KINDS)
        )
        for prompt in prompts:
            attendees |= prompt._get_record()
        return attendees.exists()

    def _handoff(self, message, reason=None, **kwargs):
        """Assign an unassigned conversation to the appointment's organizer, who also gets a to-do."""
        attendees = self._sms_appointment_attendees()
        organizers = attendees.event_id.user_id
        if organizers and not self.user_id and not self.partner_id.user_id:
            # The reply activity notifies the organizer: no second "assigned to you".
            self.with_context(mail_auto_subscribe_no_notify=True).user_id = organizers[
                :1
            ]
        result = super()._handoff(message, reason=reason, **kwargs)
        for attendee in attendees:
            organizer = attendee.event_id.user_id
            if organizer and organizer != self.user_id:
                self._sms_appointment_activity(organizer, attendee, message, reason)
        return result

    def _sms_appointment_activity(self, user, attendee, message, reason=None):
        """One open to-do per organizer on the conversation: later replies refresh its note."""
        note = Markup("<p>%s</p><p>%s</p>%s") % (
            reason
            or self.env._("A customer reply about an appointment needs an answer."),
            attendee.event_id._get_html_link(),
            plaintext2html(message.body or ""),
        )
        activity = self.activity_ids.filtered(lambda a: a.user_id == user)
        if activity:
            activity[:1].note = note
            return
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=user.id,
            summary=self.env._("SMS about %s needs an answer", attendee.event_id.name),
            note=note,
        )

    def _get_reply_context(self):
        """The AI assistant may also use the contact's next appointment."""
        facts = super()._get_reply_context()
        if not self.partner_id:
            return facts
        event = (
            self.env["calendar.event"]
            .sudo()
            .search(
                [
                    ("start", ">", fields.Datetime.now()),
                    (
                        "attendee_ids",
                        "any",
                        [
                            ("partner_id", "=", self.partner_id.id),
                            ("state", "!=", "declined"),
                        ],
                    ),
                ],
                order="start",
                limit=1,
            )
        )
        attendee = event.attendee_ids.filtered(
            lambda a: a.partner_id == self.partner_id
        )[:1]
        if attendee:
            facts.append(f"Next appointment: {attendee._sms_describe()}")
        return facts
