from odoo.tests import tagged

from .common import AppointmentCase


@tagged("post_install", "-at_install")
class TestReplyContext(AppointmentCase):
    """What the optional AI assistant may know about the contact includes the next appointment."""

    def test_next_appointment_is_in_the_reply_context(self):
        later = self.create_event(self.soon(days=5), name="Check-up")
        sooner = self.create_event(self.soon(days=2), name="Dentist")
        conversation = self.env["sms.conversation"]._get_for_recipient(
            partner=self.partner
        )
        facts = conversation._get_reply_context()
        [line] = [fact for fact in facts if fact.startswith("Next appointment:")]
        self.assertIn(self.attendee(sooner)._sms_describe(), line)
        self.assertNotIn(later.name, line)

    def test_declined_and_past_appointments_are_left_out(self):
        event = self.create_event(self.soon(days=2))
        self.attendee(event).state = "declined"
        conversation = self.env["sms.conversation"]._get_for_recipient(
            partner=self.partner
        )
        self.assertFalse(
            [
                fact
                for fact in conversation._get_reply_context()
                if fact.startswith("Next appointment")
            ]
        )
