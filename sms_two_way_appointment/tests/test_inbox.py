from odoo.tests import tagged

from .common import AppointmentCase


@tagged("post_install", "-at_install")
class TestAppointmentInbox(AppointmentCase):
    def test_confirming_after_a_handed_off_question_keeps_it_open(self):
        """Ada asks to move her appointment (a person must answer), then confirms it with "C".

        The automatic confirmation answers the "C", not her question: the
        conversation still needs a reply, with its one open activity, until a
        person answers.
        """
        event = self.create_event(self.soon(days=2))
        attendee = self.attendee(event)
        self.request(event)
        conversation = self.receive_sms("Can I come at 5pm instead?").conversation_id
        self.assertEqual(conversation.inbox_state, "needs_reply")
        self.assertEqual(len(conversation.activity_ids), 1)
        self.receive_sms("C")
        self.assertEqual(attendee.sms_confirmation_state, "confirmed")
        self.assertEqual(conversation.inbox_state, "needs_reply")
        self.assertTrue(conversation.needs_reply)
        self.assertEqual(len(conversation.activity_ids), 1)
        self.assertEqual(conversation.activity_ids.user_id, self.organizer)
        inbox = (
            self.env["sms.conversation"]
            .with_user(self.organizer)
            .search([("inbox_state", "=", "needs_reply")])
        )
        self.assertIn(conversation, inbox)
        conversation = conversation.with_user(self.organizer)
        conversation.reply_body = "5pm works, see you then."
        conversation.action_send_reply()
        self.assertEqual(conversation.inbox_state, "waiting")
        self.assertFalse(conversation.activity_ids)
