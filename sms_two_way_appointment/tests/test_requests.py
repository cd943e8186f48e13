from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AppointmentCase

# Tuesday 8 January 2030, 14:00 UTC = 15:00 in Brussels, 09:00 in New York.
START = datetime(2030, 1, 8, 14, 0)


@tagged("post_install", "-at_install")
class TestRequests(AppointmentCase):
    def run_cron(self, at):
        """The requests cron at ``at``, then the SMS queue it wakes; returns the requests made."""
        with freeze_time(at):
            count = self.env["calendar.event"]._cron_sms_confirmation_requests()
            self.send_queued()
        return count

    def test_cron_sends_when_due_once_and_again_after_a_move(self):
        event = self.create_event(START)
        attendee = self.attendee(event)
        self.assertEqual(self.run_cron(START - timedelta(hours=25)), 0, "not due yet")
        self.assertFalse(self.sent_bodies())
        self.assertEqual(self.run_cron(START - timedelta(hours=23)), 1)
        self.assertEqual(
            self.sent_to(self.partner_number),
            [
                "Hi Alice Customer, reminder: Dentist on Tuesday 8 January at 3:00 PM. "
                "Reply C to confirm, R to reschedule, X to cancel."
            ],
        )
        self.assertEqual(attendee.sms_confirmation_state, "requested")
        self.assertEqual(attendee.sms_request_start, START)
        prompt = self.open_prompts(attendee, "appointment_confirmation")
        self.assertEqual(prompt.expires_at, START)
        self.assertEqual(prompt.conversation_id, attendee.sms_conversation_id)
        self.assertEqual(len(self.sent_bodies()), 1, "the organizer is not texted")
        self.assertEqual(
            self.run_cron(START - timedelta(hours=22)),
            0,
            "never twice for the same time",
        )
        with freeze_time(START - timedelta(hours=22)):
            event.write(
                {
                    "start": START + timedelta(days=1),
                    "stop": START + timedelta(days=1, hours=1),
                }
            )
        self.assertEqual(attendee.sms_confirmation_state, "none")
        self.assertEqual(
            prompt.state, "cancelled", "the question about the old time is closed"
        )
        self.assertEqual(
            self.run_cron(START + timedelta(hours=1)), 1, "the event moved: asked again"
        )
        self.assertIn("Wednesday 9 January", self.sent_bodies()[-1])
        self.assertEqual(len(self.open_prompts(attendee)), 1)

    def test_request_is_queued_with_its_mark_then_sent_once(self):
        """The button calls no provider: the request is queued in the same transaction as the
        "requested" mark, and the SMS queue, woken at once, sends it once."""
        event = self.create_event(START)
        attendee = self.attendee(event)
        triggers = self.sms_queue_triggers()
        with freeze_time(START - timedelta(hours=3)):
            event.with_user(self.organizer).action_sms_request_confirmation()
        self.assertFalse(self.sent_bodies(), "not sent in the organizer's request")
        self.assertEqual(attendee.sms_confirmation_state, "requested")
        sms = self.env["sms.sms"].sudo().search([("number", "=", self.partner_number)])
        self.assertEqual(
            (sms.state, sms.sms_two_way_category, sms.sms_two_way_auto_reply),
            ("outgoing", "automated", False),
        )
        self.assertGreater(self.sms_queue_triggers(), triggers, "queue woken at once")
        self.send_queued()
        self.send_queued()
        [request] = self.sent_to(self.partner_number)
        self.assertIn("Reply C to confirm", request)
        self.assertEqual(
            self.find_messages(
                conversation_id=attendee.sms_conversation_id.id, direction="outbound"
            ).category,
            "automated",
        )

    def test_failing_event_neither_marks_nor_texts_its_attendees(self):
        """The requests of one event commit together with their SMS: when the second attendee's
        request fails, the first is neither marked nor texted, and the next run asks both once."""
        bob = self.env["res.partner"].create({"name": "Bob", "mobile": "+32470999888"})
        event = self.create_event(START, partners=self.partner | bob)
        Attendee = type(self.env["calendar.attendee"])
        render, calls = Attendee._sms_render_request, []

        def render_then_fail(attendee):
            calls.append(attendee)
            if len(calls) == 2:
                raise ValueError("the template fails for this attendee")
            return render(attendee)

        with (
            patch.object(Attendee, "_sms_render_request", render_then_fail),
            mute_logger("odoo.addons.sms_two_way_appointment.models.calendar_event"),
        ):
            self.assertEqual(self.run_cron(START - timedelta(hours=3)), 0)
        self.assertEqual(len(calls), 2)
        self.assertFalse(self.sent_bodies(), "the rolled-back request was not sent")
        self.assertEqual(
            set(event.attendee_ids.mapped("sms_confirmation_state")), {"none"}
        )
        self.assertEqual(self.run_cron(START - timedelta(hours=2)), 2)
        self.assertEqual(
            sorted(form["To"] for form in self.fake_twilio.message_requests()),
            ["+32470123456", "+32470999888"],
        )

    def test_lead_time_from_tag_then_event(self):
        tag = self.env["calendar.event.type"].create(
            {"name": "Surgery", "sms_confirmation_lead_hours": 72}
        )
        event = self.create_event(START, categ_ids=[Command.set(tag.ids)])
        self.assertEqual(self.run_cron(START - timedelta(hours=71)), 1)
        other = self.create_event(
            START + timedelta(days=1),
            categ_ids=[Command.set(tag.ids)],
            sms_confirmation_lead_hours=2,
        )
        self.assertEqual(
            self.run_cron(START + timedelta(days=1, hours=-3)),
            0,
            "the event's own 2 h win",
        )
        self.assertEqual(self.run_cron(START + timedelta(days=1, hours=-1)), 1)
        self.assertEqual(self.attendee(other).sms_confirmation_state, "requested")
        self.assertEqual(self.attendee(event).sms_confirmation_state, "requested")

    def test_company_lead_zero_disables_automatic_requests(self):
        self.company.sms_appointment_lead_hours = 0
        self.create_event(START)
        self.assertEqual(self.run_cron(START - timedelta(hours=1)), 0)

    def test_skips_declined_opted_out_past_and_cancelled(self):
        bob = self.env["res.partner"].create({"name": "Bob", "mobile": "+32470999888"})
        carl = self.env["res.partner"].create(
            {"name": "Carl", "mobile": "+32470777666"}
        )
        dora = self.env["res.partner"].create({"name": "Dora"})  # no mobile
        event = self.create_event(START, partners=self.partner | bob | carl | dora)
        self.attendee(event, bob).do_decline()
        self.env["sms.consent"]._record_opt_out("+32470777666", "keyword", partner=carl)
        with freeze_time(START - timedelta(hours=2)):
            action = self.request(event)
        self.assertEqual(len(self.sent_bodies()), 1)
        self.assertEqual(self.sent_to(self.partner_number)[0][:8], "Hi Alice")
        message = action["params"]["message"]
        self.assertIn("Bob (declined)", message)
        self.assertIn("Carl (opted out of SMS)", message)
        self.assertIn("Dora (no mobile number)", message)
        self.assertEqual(self.attendee(event, carl).sms_confirmation_state, "none")
        past = self.create_event(START - timedelta(days=2), name="Past")
        self.assertEqual(self.run_cron(START - timedelta(days=2, hours=-1)), 0)
        cancelled = self.create_event(START + timedelta(days=2), name="Cancelled")
        cancelled.action_archive()
        self.assertEqual(self.run_cron(START + timedelta(days=1, hours=12)), 0)
        self.assertEqual(
            (self.attendee(past) | self.attendee(cancelled)).mapped(
                "sms_confirmation_state"
            ),
            ["none", "none"],
        )

    def test_button_does_not_repeat_a_request(self):
        event = self.create_event(START)
        with freeze_time(START - timedelta(days=5)):
            self.request(event)
            action = self.request(event)
        self.assertEqual(len(self.sent_bodies()), 1)
        self.assertIn("already asked", action["params"]["message"])

    def test_quiet_hours_defer_the_request(self):
        self.company.sms_quiet_hours = True
        event = self.create_event(START)
        night = datetime(2030, 1, 7, 22, 30)  # 23:30 in Brussels
        self.assertEqual(self.run_cron(night), 1)
        self.assertFalse(self.sent_bodies(), "deferred to the morning")
        sms = self.env["sms.sms"].sudo().search([("number", "=", self.partner_number)])
        self.assertEqual(sms.sms_two_way_not_before, datetime(2030, 1, 8, 7, 0))
        self.assertEqual(self.attendee(event).sms_confirmation_state, "requested")

    def test_timezone_and_language_of_the_attendee(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.partner.write({"tz": "America/New_York", "lang": "fr_FR"})
        event = self.create_event(START)
        with freeze_time(START - timedelta(hours=3)):
            self.request(event)
        [body] = self.sent_bodies()
        self.assertIn("mardi 8 janvier", body)
        self.assertIn("09:00", body)
        self.partner.write({"tz": "Asia/Tokyo", "lang": "en_US"})
        self.assertEqual(self.attendee(event).sms_event_date, "Tuesday 8 January")
        self.assertEqual(self.attendee(event).sms_event_time, "11:00 PM")

    def test_template_is_editable(self):
        template = self.env.ref(
            "sms_two_way_appointment.sms_template_appointment_confirmation"
        )
        template.body = "{{ object.event_id.name }} {{ object.sms_event_date }}: C/R/X?"
        event = self.create_event(START)
        with freeze_time(START - timedelta(hours=3)):
            self.request(event)
        self.assertEqual(self.sent_bodies(), ["Dentist Tuesday 8 January: C/R/X?"])
