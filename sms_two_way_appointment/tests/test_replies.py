from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AppointmentCase

BOB_NUMBER = "+32470999888"


@tagged("post_install", "-at_install")
class TestReplies(AppointmentCase):
    def setUp(self):
        super().setUp()
        self.event = self.create_event(self.soon(days=2))
        self.alice = self.attendee(self.event)
        self.request(self.event)
        self.fake_twilio.requests.clear()

    def organizer_activities(self, conversation):
        return conversation.activity_ids.filtered(lambda a: a.user_id == self.organizer)

    # ------------------------------------------------------------ confirm
    def test_confirm_accepts_notes_and_acknowledges(self):
        message = self.receive_sms("C")
        self.assertEqual(self.alice.state, "accepted")
        self.assertEqual(self.alice.sms_confirmation_state, "confirmed")
        self.assertFalse(self.open_prompts(self.alice))
        notes = self.event_notes(self.event)
        self.assertIn(
            "Alice Customer has accepted the invitation",
            notes,
            "Odoo's own accept method",
        )
        self.assertIn("Alice Customer confirmed by SMS:", notes)
        [ack] = self.sent_bodies()
        self.assertIn("is confirmed", ack)
        self.assertFalse(message.conversation_id.needs_reply)

    def test_confirm_variants(self):
        for text in ("CONFIRM", "yes", "Y", "👍", "ok sure"):
            with self.subTest(text=text):
                self.alice.write(
                    {
                        "state": "needsAction",
                        "sms_confirmation_state": "requested",
                        "sms_request_start": False,
                    }
                )
                self.request(self.event)
                self.receive_sms(text)
                self.assertEqual(self.alice.state, "accepted")
                self.assertEqual(self.alice.sms_confirmation_state, "confirmed")
        self.assertFalse(
            self.env["sms.consent"].search([]),
            "YES answered the request, it is no opt-in",
        )

    # ------------------------------------------------------------ decline
    def test_decline_declines_and_tells_the_organizer(self):
        for text in ("X", "CANT MAKE IT", "no"):
            with self.subTest(text=text):
                self.alice.write({"state": "needsAction", "sms_request_start": False})
                self.request(self.event)
                self.fake_twilio.requests.clear()
                message = self.receive_sms(text)
                self.assertEqual(self.alice.state, "declined")
                self.assertEqual(self.alice.sms_confirmation_state, "declined")
                self.assertIn(
                    "Alice Customer has declined the invitation",
                    self.event_notes(self.event),
                )
                activity = self.organizer_activities(message.conversation_id)
                self.assertEqual(len(activity), 1)
                self.assertIn("cancelled Dentist by SMS", activity.note)
                self.assertIn("is cancelled", self.sent_bodies()[0])

    def test_bare_cancel_is_an_opt_out_not_a_decline(self):
        self.receive_sms("CANCEL")
        self.assertTrue(self.env["sms.consent"]._is_opted_out(self.partner_number))
        self.assertEqual(self.alice.state, "needsAction")
        self.assertEqual(self.alice.sms_confirmation_state, "no_answer")
        self.assertFalse(self.open_prompts(self.alice))

    # ------------------------------------------------------------ reschedule
    def test_reschedule_offers_slots_and_moves_the_event(self):
        bob = self.env["res.partner"].create(
            {"name": "Bob", "email": "bob@example.com"}
        )
        self.event.partner_ids |= bob
        expected = self.event._sms_find_free_slots()
        self.assertEqual(len(expected), 3)
        self.receive_sms("R")
        self.assertEqual(self.alice.sms_confirmation_state, "reschedule")
        [offer] = self.sent_bodies()
        labels = [self.alice._sms_format(start) for start, _stop in expected]
        self.assertEqual(offer, "Reply 1 for %s, 2 for %s, 3 for %s." % tuple(labels))
        self.assertFalse(self.open_prompts(self.alice, "appointment_confirmation"))
        self.assertTrue(self.open_prompts(self.alice, "appointment_slot"))
        self.fake_twilio.requests.clear()
        mails_before = self.env["mail.mail"].sudo().search_count([])
        # Processing runs in the test thread, where Odoo sends (and deletes) forced mails at once.
        emailed = []
        IrMailServer = type(self.env["ir.mail_server"])
        send_email = IrMailServer.send_email

        def record_send_email(server, message, *args, **kwargs):
            emailed.append(message["To"])
            return send_email(server, message, *args, **kwargs)

        self.patch(IrMailServer, "send_email", record_send_email)
        self.receive_sms("2")
        start, stop = expected[1]
        self.assertEqual((self.event.start, self.event.stop), (start, stop))
        self.assertEqual(self.alice.state, "accepted")
        self.assertEqual(self.alice.sms_confirmation_state, "confirmed")
        self.assertEqual(
            self.alice.sms_request_start,
            start,
            "no new request for the time just chosen",
        )
        self.assertFalse(self.open_prompts(self.alice))
        [ack] = self.sent_bodies()
        self.assertIn("moved to", ack)
        self.assertIn(
            "moved the event by SMS to %s" % labels[1], self.event_notes(self.event)
        )
        self.assertTrue(
            emailed or self.env["mail.mail"].sudo().search_count([]) > mails_before,
            "attendees are told of the new date as Odoo does",
        )

    def test_reschedule_without_free_slot_hands_off_to_organizer(self):
        busy = self.env["calendar.event"].create(
            {
                "name": "Holidays",
                "allday": True,
                "user_id": self.organizer.id,
                "start": fields.Date.today(),
                "stop": fields.Date.today() + timedelta(days=10),
                "partner_ids": [(6, 0, self.organizer.partner_id.ids)],
            }
        )
        self.assertTrue(busy.allday)
        message = self.receive_sms("reschedule")
        self.assertEqual(self.alice.sms_confirmation_state, "reschedule")
        self.assertFalse(self.alice.sms_proposed_slots)
        conversation = message.conversation_id
        self.assertTrue(conversation.needs_reply)
        self.assertEqual(conversation.user_id, self.organizer)
        self.assertEqual(len(self.organizer_activities(conversation)), 1)
        self.assertEqual(
            self.sent_bodies(), ["We will contact you shortly to find a new time."]
        )

    def test_anything_else_to_the_offer_hands_off_to_organizer(self):
        self.receive_sms("R")
        self.fake_twilio.requests.clear()
        message = self.receive_sms("Friday <b>afternoon</b>?")
        conversation = message.conversation_id
        self.assertTrue(conversation.needs_reply)
        self.assertEqual(conversation.user_id, self.organizer)
        activity = self.organizer_activities(conversation)
        self.assertIn("&lt;b&gt;afternoon", activity.note)
        self.assertEqual(self.event.start, self.soon(days=2), "nothing moved")
        self.assertTrue(
            self.open_prompts(self.alice, "appointment_slot"), "a number may still come"
        )
        self.assertEqual(self.sent_bodies(), [self.company.sms_handoff_ack_body])

    def test_taken_slot_is_not_booked(self):
        self.receive_sms("R")
        start, stop = self.alice.sms_proposed_slots[0]
        self.env["calendar.event"].create(
            {
                "name": "Booked meanwhile",
                "user_id": self.organizer.id,
                "start": start,
                "stop": stop,
                "partner_ids": [(6, 0, self.organizer.partner_id.ids)],
            }
        )
        self.fake_twilio.requests.clear()
        message = self.receive_sms("1")
        self.assertEqual(self.event.start, self.soon(days=2))
        self.assertEqual(self.alice.sms_confirmation_state, "reschedule")
        self.assertTrue(message.conversation_id.needs_reply)
        self.assertIn("no longer available", self.sent_bodies()[0])

    # ------------------------------------------------------------ isolation & ambiguity
    def test_each_attendee_answers_for_themselves(self):
        bob = self.env["res.partner"].create({"name": "Bob", "mobile": BOB_NUMBER})
        event = self.create_event(
            self.soon(days=3), partners=self.partner | bob, name="Team visit"
        )
        self.request(event)
        alice, bob_attendee = self.attendee(event), self.attendee(event, bob)
        self.assertEqual(
            (alice | bob_attendee).mapped("sms_confirmation_state"),
            ["requested", "requested"],
        )
        self.receive_sms("X", sender=BOB_NUMBER)
        self.assertEqual(bob_attendee.state, "declined")
        self.assertEqual(alice.sms_confirmation_state, "requested")
        self.assertEqual(alice.state, "needsAction")
        # Alice has two open requests (Dentist and Team visit): she is asked which one.
        self.fake_twilio.requests.clear()
        self.receive_sms("C")
        [question] = self.sent_bodies()
        self.assertIn("Which request", question)
        number = "1" if "1 for Team visit" in question else "2"
        self.receive_sms(number)
        self.assertEqual(alice.sms_confirmation_state, "confirmed")
        self.assertEqual(
            self.alice.sms_confirmation_state,
            "requested",
            "the dentist is still to confirm",
        )
        self.assertEqual(bob_attendee.sms_confirmation_state, "declined")

    def test_unrecognised_reply_goes_to_organizer(self):
        message = self.receive_sms("Can I bring my dog?")
        self.assertEqual(self.alice.sms_confirmation_state, "requested")
        self.assertTrue(message.conversation_id.needs_reply)
        self.assertEqual(message.conversation_id.user_id, self.organizer)
        self.assertTrue(self.open_prompts(self.alice), "the question stays open")

    # ------------------------------------------------------------ late replies
    def assert_polite_handoff(self, message):
        self.assertEqual(self.alice.state, "needsAction", "no silent state change")
        self.assertTrue(message.conversation_id.needs_reply)
        self.assertEqual(message.conversation_id.user_id, self.organizer)
        self.assertEqual(
            self.sent_bodies(),
            [
                "Thank you. This appointment request is no longer open; a team member will get back to you."
            ],
        )

    def test_reply_for_a_cancelled_event(self):
        self.event.action_archive()
        message = self.receive_sms("C")
        self.assert_polite_handoff(message)
        self.assertEqual(self.alice.sms_confirmation_state, "requested")
        self.assertIn("was cancelled", self.event_notes(self.event))

    def test_reply_to_an_expired_request(self):
        prompt = self.open_prompts(self.alice)
        prompt.expires_at = fields.Datetime.now() - timedelta(minutes=1)
        self.env["sms.prompt"]._cron_expire()
        self.assertEqual(self.alice.sms_confirmation_state, "no_answer")
        message = self.receive_sms("C")
        self.assert_polite_handoff(message)

    def test_reply_after_the_event(self):
        self.env.cr.execute(
            "UPDATE calendar_event SET start = start - interval '3 days', "
            "stop = stop - interval '3 days' WHERE id = %s",
            [self.event.id],
        )
        self.event.invalidate_recordset()
        message = self.receive_sms("X")
        self.assert_polite_handoff(message)
        self.assertIn("already started", self.event_notes(self.event))

    def test_reply_to_a_request_about_the_old_time(self):
        self.event.write(
            {"start": self.soon(days=4), "stop": self.soon(days=4) + timedelta(hours=1)}
        )
        message = self.receive_sms("C")
        self.assert_polite_handoff(message)
        self.assertEqual(self.alice.sms_confirmation_state, "none")
