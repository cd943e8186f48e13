from contextlib import contextmanager
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.sms.tools.sms_api import SmsApi

from ..models.sms_gateway import GATEWAY_BATCH_SIZE, SmsGateway
from ..models.sms_sms import send_options_context
from .common import PROVIDER_TIMEOUT, SmsTwoWayCase


@tagged("post_install", "-at_install")
class TestOutbound(SmsTwoWayCase):
    def _queue_sms(self, body="Hello from Odoo", gateway=None):
        ctx = send_options_context(gateway) if gateway else {}
        self.partner.with_context(**ctx)._message_sms(body)
        return self.env["sms.sms"].sudo().search([("body", "=", body)])

    @contextmanager
    def _provider_answering_after_the_timeout(self, stores=True):
        """A short client timeout and a provider answering well after it: a timeout on any machine.

        Back to the normal (long) timeout afterwards, so the recovery that follows
        does not depend on how fast the loopback provider answers.
        """
        self.gateway.request_timeout = 0.5
        (
            self.fake_twilio.mode,
            self.fake_twilio.hang_seconds,
            self.fake_twilio.hang_stores,
        ) = "hang", 2.0, stores
        try:
            yield
        finally:
            self.gateway.request_timeout = PROVIDER_TIMEOUT
            self.fake_twilio.mode = "ok"

    def test_send_through_twilio_sdk(self):
        self.partner._message_sms("Hello from Odoo")
        [form] = self.fake_twilio.message_requests()
        self.assertEqual(form["To"], self.partner_number)
        self.assertEqual(form["From"], "+3225550100")
        self.assertEqual(form["Body"], "Hello from Odoo")
        self.assertEqual(form["StatusCallback"], self.gateway.sudo().status_url)
        message = self.find_messages(direction="outbound")
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.provider_sid, self.fake_twilio.messages[0]["sid"])
        self.assertEqual(message.conversation_id.partner_id, self.partner)
        self.assertEqual(
            message.mail_message_id.notification_ids.notification_status, "pending"
        )

    def test_messaging_service_sid(self):
        self.gateway.twilio_messaging_service_sid = "MG" + "2" * 32
        self.partner._message_sms("Via service")
        [form] = self.fake_twilio.message_requests()
        self.assertEqual(form["MessagingServiceSid"], "MG" + "2" * 32)
        self.assertNotIn("From", form)

    def test_gateway_sms_are_sent_in_batches_of_their_own(self):
        """Gateway SMS leave through their gateway, at most GATEWAY_BATCH_SIZE at a time; Odoo's
        own SMS keep Odoo's path."""
        other_company = self.env["res.company"].create({"name": "No gateway Co"})
        ours = self.env["sms.sms"].create(
            [
                {"number": f"+324700000{i:02}", "body": "x"}
                for i in range(GATEWAY_BATCH_SIZE + 1)
            ]
        )
        iap = (
            self.env["sms.sms"]
            .with_company(other_company)
            .create([{"number": f"+3247000001{i}", "body": "y"} for i in range(2)])
        )
        batches = []
        start_sending = SmsGateway._start_sending

        def spy(gateway, sms_records, pool, commit):
            batches.append(sms_records.ids)
            return start_sending(gateway, sms_records, pool, commit)

        with (
            patch.object(SmsGateway, "_start_sending", spy),
            patch.object(SmsApi, "_send_sms_batch", return_value=[]) as iap_send,
        ):
            (ours | iap).send()
        self.assertEqual(
            batches, [ours.ids[:GATEWAY_BATCH_SIZE], ours.ids[GATEWAY_BATCH_SIZE:]]
        )
        [iap_call] = iap_send.call_args_list
        [iap_batch] = iap_call.args[0]
        self.assertEqual(
            [number["uuid"] for number in iap_batch["numbers"]], iap.mapped("uuid")
        )
        self.assertEqual(len(self.fake_twilio.messages), GATEWAY_BATCH_SIZE + 1)

    def test_company_without_gateway_keeps_odoo_default(self):
        other_company = self.env["res.company"].create({"name": "No gateway Co"})
        sms = (
            self.env["sms.sms"]
            .with_company(other_company)
            .create({"number": "+32470000000", "body": "x"})
        )
        self.assertFalse(sms.gateway_id)

    def test_reply_goes_through_the_gateway_the_customer_texted(self):
        conversation = self.env["sms.conversation"]._get_or_create(
            self.simulator, self.partner_number
        )
        sms = self.env["sms.sms"].create({"number": "0470 12 34 56", "body": "x"})
        self.assertEqual(sms.gateway_id, self.simulator)
        self.assertEqual(conversation.partner_id, self.partner)

    def test_provider_error_maps_to_failure_type(self):
        self.fake_twilio.mode = "reject"
        self.fake_twilio.reject_code = 21211
        sms = self._queue_sms("Bad number")
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.failure_type, "sms_number_format")
        message = self.find_messages(direction="outbound")
        self.assertEqual(message.state, "error")
        self.assertIn("21211", message.error_message)

    def test_21610_on_send_records_opt_out(self):
        self.fake_twilio.mode = "reject"
        self.fake_twilio.reject_code = 21610
        sms = self._queue_sms("After STOP")
        self.assertEqual(sms.failure_type, "sms_optout")
        self.assertEqual(
            self.env["sms.consent"].search([]).mapped("direction"), ["opt_out"]
        )

    def test_outage_then_timeout_then_recovery_sends_once(self):
        # 1. Provider answers 500: not accepted, the SMS stays queued.
        self.fake_twilio.mode = "error500"
        sms = self._queue_sms("Your appointment is tomorrow")
        self.assertEqual(sms.state, "outgoing")
        message = self.find_messages(direction="outbound")
        self.assertEqual(message.state, "outgoing")
        self.assertEqual(len(self.fake_twilio.message_requests()), 1)
        self.assertFalse(self.fake_twilio.messages)

        # 2. Provider takes the message but answers too late: outcome unknown.
        with self._provider_answering_after_the_timeout():
            self.env["sms.sms"]._process_queue()
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(message.state, "unknown")
        self.assertEqual(len(self.fake_twilio.messages), 1)

        # 3. Recovery: the retry asks the provider first and does not resend.
        self.env["sms.sms"]._process_queue()
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.provider_sid, self.fake_twilio.messages[0]["sid"])
        self.assertEqual(
            len(self.fake_twilio.messages), 1, "the customer must receive the SMS once"
        )
        self.assertEqual(len(self.fake_twilio.message_requests()), 2)
        self.assertEqual(sms.state, "pending")

    def test_timeout_before_provider_took_it_is_resent(self):
        """The same text sent earlier must not be mistaken for the one that timed out."""
        self._queue_sms("Same text")
        with self._provider_answering_after_the_timeout(stores=False):
            self.partner._message_sms("Same text")
        second = self.find_messages(direction="outbound").sorted("id")[-1]
        self.assertEqual(second.state, "unknown")
        self.env["sms.sms"]._process_queue()
        self.assertEqual(second.state, "queued")
        self.assertEqual(
            len(self.fake_twilio.messages), 2, "the customer gets the second text too"
        )
        self.assertEqual(second.provider_sid, self.fake_twilio.messages[1]["sid"])

    def test_outage_then_recovery_sends_once(self):
        self.fake_twilio.mode = "error500"
        sms = self._queue_sms("Queued during outage")
        self.assertEqual(sms.state, "outgoing")
        self.fake_twilio.mode = "ok"
        self.env["sms.sms"]._process_queue()
        self.env["sms.sms"]._process_queue()
        self.assertEqual(len(self.fake_twilio.messages), 1)
        self.assertEqual(self.find_messages(direction="outbound").state, "queued")

    def test_unreachable_provider_stays_queued(self):
        self.gateway.api_base_url = (
            "http://127.0.0.1:9"  # nothing listens on the discard port
        )
        sms = self._queue_sms("Nobody home")
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(self.find_messages(direction="outbound").state, "outgoing")

    def test_test_connection(self):
        action = self.gateway.action_test_connection()
        self.assertIn("Fake account", action["params"]["message"])
        self.gateway.twilio_auth_token = "wrong"
        with self.assertRaisesRegex(UserError, "20003"):
            self.gateway.action_test_connection()

    def test_auth_token_never_logged(self):
        with self.assertLogs("odoo.addons.sms_two_way", level="DEBUG") as logs:
            self.fake_twilio.mode = "error500"
            self._queue_sms("Log check")
        self.assertTrue(logs.output)
        self.assertFalse(
            [line for line in logs.output if self.fake_twilio.auth_token in line]
        )

    def test_conversation_reply_box(self):
        conversation = self.env["sms.conversation"]._get_or_create(
            self.gateway, self.partner_number
        )
        conversation.reply_body = "On my way"
        conversation.action_send_reply()
        [form] = self.fake_twilio.message_requests()
        self.assertEqual((form["To"], form["Body"]), (self.partner_number, "On my way"))
        self.assertFalse(conversation.reply_body)
        self.assertEqual(conversation.message_line_ids.body, "On my way")

    def test_reply_to_unknown_number(self):
        conversation = self.env["sms.conversation"]._get_or_create(
            self.gateway, "+32499000111"
        )
        self.assertFalse(conversation.partner_id)
        conversation.reply_body = "Hello stranger"
        conversation.action_send_reply()
        [form] = self.fake_twilio.message_requests()
        self.assertEqual(form["To"], "+32499000111")
        self.assertEqual(conversation.message_line_ids.state, "queued")
