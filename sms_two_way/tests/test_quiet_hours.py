from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from ..models.sms_sms import send_options_context
from .common import SmsTwoWayCase


def utc_of(local_day, hour, tz):
    """Naive UTC datetime of ``hour`` o'clock local time on ``local_day`` in ``tz``."""
    local = datetime(
        local_day.year, local_day.month, local_day.day, hour, tzinfo=ZoneInfo(tz)
    )
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


@tagged("post_install", "-at_install")
class TestQuietHours(SmsTwoWayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sms_quiet_hours = True
        cls.partner.tz = "Europe/Brussels"
        cls.today = fields.Date.today()
        cls.conversation = cls.env["sms.conversation"]._get_for_recipient(
            partner=cls.partner
        )

    def send(self, body, category=None):
        ctx = send_options_context(category=category) if category else {}
        self.partner.with_context(**ctx)._message_sms(body)
        return self.env["sms.sms"].sudo().search([("body", "=", body)])

    def test_automated_send_at_night_is_deferred_then_sent_once(self):
        with freeze_time(utc_of(self.today, 23, "Europe/Brussels")):
            sms = self.send("Reminder: appointment tomorrow", category="automated")
        self.assertEqual(sms.state, "outgoing")
        self.assertFalse(self.fake_twilio.message_requests())
        tomorrow = self.today + timedelta(days=1)
        self.assertEqual(
            sms.sms_two_way_not_before, utc_of(tomorrow, 8, "Europe/Brussels")
        )
        with freeze_time(utc_of(tomorrow, 7, "Europe/Brussels")):
            self.env["sms.sms"]._process_queue()
        self.assertFalse(self.fake_twilio.message_requests(), "still too early")
        with freeze_time(utc_of(tomorrow, 8, "Europe/Brussels") + timedelta(minutes=5)):
            self.env["sms.sms"]._process_queue()
            self.env["sms.sms"]._process_queue()
        self.assertEqual(len(self.fake_twilio.message_requests()), 1)
        self.assertEqual(sms.state, "pending")

    def test_automated_text_of_a_conversation_is_queued_then_deferred_as_before(self):
        """``_send_text`` only queues automated texts (no provider call in the caller's
        transaction); the SMS queue applies quiet hours to them as to any other."""
        body = "Your appointment is tomorrow"
        triggers = self.sms_queue_triggers()
        with freeze_time(utc_of(self.today, 23, "Europe/Brussels")):
            self.conversation._send_text(body, category="automated")
            sms = self.env["sms.sms"].sudo().search([("body", "=", body)])
            self.assertEqual(
                (sms.state, sms.sms_two_way_category), ("outgoing", "automated")
            )
            self.assertFalse(self.find_messages(body=body), "not tried yet")
            self.assertGreater(self.sms_queue_triggers(), triggers)
            self.send_queued()
        self.assertFalse(self.fake_twilio.message_requests())
        tomorrow = self.today + timedelta(days=1)
        self.assertEqual(
            sms.sms_two_way_not_before, utc_of(tomorrow, 8, "Europe/Brussels")
        )
        with freeze_time(utc_of(tomorrow, 8, "Europe/Brussels") + timedelta(minutes=5)):
            self.send_queued()
            self.send_queued()
        self.assertEqual(
            [form["Body"] for form in self.fake_twilio.message_requests()], [body]
        )

    def test_queued_automated_text_to_an_opted_out_number_is_refused(self):
        self.env["sms.consent"]._record_opt_out(
            self.partner_number, "keyword", partner=self.partner
        )
        with freeze_time(utc_of(self.today, 11, "Europe/Brussels")):
            self.conversation._send_text("Survey: rate us", category="automated")
            self.send_queued()
        sms = self.env["sms.sms"].sudo().search([("body", "=", "Survey: rate us")])
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_optout"))
        self.assertFalse(self.fake_twilio.message_requests())

    def test_direct_reply_to_customer_who_just_wrote_is_not_deferred(self):
        night = utc_of(self.today, 23, "Europe/Brussels")
        with freeze_time(night):
            self.conversation.last_inbound_date = night - timedelta(minutes=10)
            sms = self.send("Sure, see you tomorrow")
        self.assertEqual(
            self.find_messages(body="Sure, see you tomorrow").category, "direct"
        )
        self.assertEqual(sms.state, "pending")
        self.assertEqual(len(self.fake_twilio.message_requests()), 1)

    def test_daytime_automated_send_goes_out(self):
        with freeze_time(utc_of(self.today, 11, "Europe/Brussels")):
            self.send("Your parcel is on its way", category="automated")
        self.assertEqual(len(self.fake_twilio.message_requests()), 1)

    def test_recipient_timezone_from_number_when_contact_has_none(self):
        us_partner = self.env["res.partner"].create(
            {"name": "Nina NY", "mobile": "+1 212 555 0187"}
        )
        # 15:00 in Brussels is 09:00 in New York (allowed), 03:00 UTC is 22:00 in New York (not allowed).
        with freeze_time(utc_of(self.today, 22, "America/New_York")):
            us_partner.with_context(
                **send_options_context(category="automated")
            )._message_sms("Hello New York")
        sms = self.env["sms.sms"].sudo().search([("body", "=", "Hello New York")])
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(
            sms.sms_two_way_not_before,
            utc_of(self.today + timedelta(days=1), 8, "America/New_York"),
        )

    def test_strict_profile_window_and_marketing_cap(self):
        self.env["sms.quiet.profile"].create(
            {
                "name": "Belgium strict",
                "country_id": self.env.ref("base.be").id,
                "start_hour": 9.0,
                "end_hour": 20.0,
                "max_marketing_per_day": 2,
            }
        )
        with freeze_time(
            utc_of(self.today, 8, "Europe/Brussels") + timedelta(minutes=30)
        ):
            early = self.send("Early promo", category="marketing")
        self.assertEqual(
            early.sms_two_way_not_before, utc_of(self.today, 9, "Europe/Brussels")
        )
        with freeze_time(utc_of(self.today, 12, "Europe/Brussels")):
            self.env["sms.sms"]._process_queue()
            second = self.send("Second promo", category="marketing")
            third = self.send("Third promo", category="marketing")
        self.assertEqual(early.state, "pending")
        self.assertEqual(second.state, "pending")
        self.assertEqual(
            third.state, "outgoing", "at most 2 marketing messages per 24 h"
        )
        self.assertGreater(
            third.sms_two_way_not_before, utc_of(self.today, 12, "Europe/Brussels")
        )
        self.assertEqual(
            [f["Body"] for f in self.fake_twilio.message_requests()],
            ["Early promo", "Second promo"],
        )

    def test_quiet_hours_can_be_switched_off(self):
        self.company.sms_quiet_hours = False
        with freeze_time(utc_of(self.today, 3, "Europe/Brussels")):
            self.send("Night owl", category="marketing")
        self.assertEqual(len(self.fake_twilio.message_requests()), 1)
