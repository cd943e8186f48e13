from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import Form, tagged

from .common import AppointmentCase

NOW = datetime(2030, 1, 7, 9, 0)


@tagged("post_install", "-at_install")
class TestStaffView(AppointmentCase):
    def setUp(self):
        super().setUp()
        with freeze_time(NOW):
            self.soon_event = self.create_event(NOW + timedelta(hours=10), name="Soon")
            self.confirmed_event = self.create_event(
                NOW + timedelta(hours=12), name="Confirmed"
            )
            self.later_event = self.create_event(NOW + timedelta(days=3), name="Later")
            self.not_asked = self.create_event(
                NOW + timedelta(hours=5),
                name="Not asked",
                sms_confirmation_lead_hours=1,
            )
            for event in self.soon_event | self.confirmed_event | self.later_event:
                self.request(event)
        self.attendee(self.confirmed_event).write(
            {"sms_confirmation_state": "confirmed"}
        )

    def test_unconfirmed_within_24_hours_filter(self):
        events = (
            self.soon_event | self.confirmed_event | self.later_event | self.not_asked
        )
        with freeze_time(NOW):
            found = self.env["calendar.event"].search(
                [("id", "in", events.ids), ("sms_unconfirmed_soon", "=", True)]
            )
            self.assertEqual(found, self.soon_event)
            self.assertTrue(self.soon_event.sms_unconfirmed_soon)
            others = self.env["calendar.event"].search(
                [("id", "in", events.ids), ("sms_unconfirmed_soon", "=", False)]
            )
            self.assertEqual(others, events - self.soon_event)
        with freeze_time(NOW + timedelta(days=2, hours=12)):
            found = self.env["calendar.event"].search(
                [("id", "in", events.ids), ("sms_unconfirmed_soon", "=", True)]
            )
            self.assertEqual(found, self.later_event)

    def test_weekly_confirmation_and_no_answer_rates(self):
        self.attendee(self.soon_event).write({"sms_confirmation_state": "no_answer"})
        Report = self.env["sms.appointment.report"]
        Report.flush_model()
        self.env["calendar.attendee"].flush_model()
        groups = Report._read_group(
            [
                (
                    "event_id",
                    "in",
                    (self.soon_event | self.confirmed_event | self.later_event).ids,
                )
            ],
            groupby=["event_start:week"],
            aggregates=[
                "request_count:sum",
                "confirmation_rate:avg",
                "no_answer_rate:avg",
            ],
        )
        [(_week, count, confirmation_rate, no_answer_rate)] = groups
        self.assertEqual(count, 3)
        self.assertAlmostEqual(confirmation_rate, 100 / 3, places=2)
        self.assertAlmostEqual(no_answer_rate, 100 / 3, places=2)

    def test_event_form_shows_the_status_per_attendee(self):
        arch = (
            self.env["calendar.event"]
            .with_user(self.organizer)
            .get_view(view_type="form")["arch"]
        )
        self.assertIn('name="page_sms_confirmation"', arch)
        self.assertIn('name="action_sms_request_confirmation"', arch)
        form = Form(self.soon_event.with_user(self.organizer))
        states = sorted(
            record["sms_confirmation_state"] for record in form.attendee_ids._records
        )
        self.assertEqual(
            states, ["none", "requested"], "Olivia organizes; Alice was asked"
        )
        action = self.attendee(self.soon_event).action_sms_open_conversation()
        self.assertEqual(
            action["res_id"], self.attendee(self.soon_event).sms_conversation_id.id
        )
        self.assertTrue(action["res_id"])
