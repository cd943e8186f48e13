import json
from concurrent.futures import ThreadPoolExecutor

from odoo.tests import tagged

from ..models.sms_sms import send_options_context
from .common import SmsTwoWayHttpCase, new_message_sid
from .fake_twilio import sign_twilio_request


@tagged("post_install", "-at_install")
class TestInboundWebhook(SmsTwoWayHttpCase):
    def assertNothingStored(self, response, status):
        self.assertEqual(response.status_code, status, response.text)
        self.assertNotIn("Traceback", response.text)
        self.assertFalse(self.env["sms.conversation.message"].sudo().search([]))
        self.assertFalse(self.env["sms.conversation"].sudo().search([]))

    def test_valid_signature_stores_reply_on_contact(self):
        params = self.inbound_params(body="Yes <b>see you</b> tomorrow")
        response = self.post_webhook(params)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"].split(";")[0], "text/xml")
        self.assertIn("<Response></Response>", response.text)

        message = self.find_messages(provider_sid=params["MessageSid"])
        self.assertEqual(len(message), 1)
        self.assertEqual(message.direction, "inbound")
        self.assertEqual(message.body, "Yes <b>see you</b> tomorrow")
        conversation = message.conversation_id
        self.assertEqual(conversation.partner_id, self.partner)
        self.assertEqual(conversation.number, self.partner_number)
        self.assertTrue(conversation.needs_reply)
        self.assertEqual(conversation.unread_count, 1)

        posted = message.mail_message_id
        self.assertEqual(posted.model, "res.partner")
        self.assertEqual(posted.res_id, self.partner.id)
        self.assertEqual(posted.message_type, "comment")
        self.assertEqual(posted.author_id, self.partner)
        self.assertIn("SMS from +32470123456", posted.body)
        # Inbound text is escaped, never rendered as HTML.
        self.assertIn("&lt;b&gt;see you&lt;/b&gt;", posted.body)
        self.assertNotIn("<b>see you</b>", posted.body)

    def test_sms_users_of_the_company_are_told_live(self):
        other_company = self.env["res.company"].create({"name": "Elsewhere"})
        outsider = self.env["res.users"].create(
            {
                "name": "Outsider",
                "login": "outsider",
                "company_id": other_company.id,
                "company_ids": [(6, 0, other_company.ids)],
                "groups_id": [(6, 0, [self.env.ref("sms_two_way.group_sms_user").id])],
            }
        )
        self.env["bus.bus"].search([]).unlink()
        message = self.receive_sms("Live please")
        notifications = self.env["bus.bus"].search(
            [("message", "like", "sms_two_way/inbound")]
        )
        channels = " ".join(notifications.mapped("channel"))
        self.assertIn(f'"res.partner",{self.sms_user.partner_id.id}]', channels)
        self.assertNotIn(f'"res.partner",{outsider.partner_id.id}]', channels)
        self.assertEqual(
            json.loads(notifications[0].message)["payload"],
            {
                "model": "res.partner",
                "id": self.partner.id,
                "conversation_id": message.conversation_id.id,
            },
        )

    def test_missing_signature_rejected(self):
        response = self.post_webhook(self.inbound_params(), sign=False)
        self.assertNothingStored(response, 403)

    def test_wrong_signature_rejected(self):
        response = self.post_webhook(self.inbound_params(), auth_token="not-the-token")
        self.assertNothingStored(response, 403)

    def test_signature_for_other_url_rejected(self):
        params = self.inbound_params()
        response = self.post_webhook(params, signed_url=self.webhook_url("status"))
        self.assertNothingStored(response, 403)

    def test_tampered_body_rejected(self):
        params = self.inbound_params(body="C")
        signature = sign_twilio_request(
            self.fake_twilio.auth_token, self.webhook_url(), params
        )
        params["Body"] = "STOP"
        response = self.url_open(
            self.webhook_url(), data=params, headers={"X-Twilio-Signature": signature}
        )
        self.assertNothingStored(response, 403)

    def test_unknown_token_same_answer_as_bad_signature(self):
        params = self.inbound_params()
        url = self.webhook_url(token="x" * 32)
        unknown = self.post_webhook(params, url=url)
        bad = self.post_webhook(params, auth_token="wrong")
        self.assertEqual(
            (unknown.status_code, unknown.text), (bad.status_code, bad.text)
        )
        self.assertNothingStored(unknown, 403)

    def test_get_rejected(self):
        response = self.url_open(self.webhook_url())
        self.assertNothingStored(response, 405)

    def test_malformed_form_rejected_with_400(self):
        for broken in (
            {"MessageSid": "not-a-sid"},
            {"From": ""},
            {"NumMedia": "lots"},
            {"NumMedia": "2"},  # announced media without URLs
        ):
            with self.subTest(broken=broken):
                params = {**self.inbound_params(), **broken}
                self.assertNothingStored(self.post_webhook(params), 400)
        params = self.inbound_params()
        del params["Body"]
        self.assertNothingStored(self.post_webhook(params), 400)

    def test_json_body_rejected(self):
        response = self.url_open(
            self.webhook_url(),
            data='{"Body": "hi"}',
            headers={"Content-Type": "application/json"},
        )
        self.assertNothingStored(response, 403)

    def test_proxy_forwarded_url_is_verified(self):
        public_url = f"https://sms.example.com/sms_two_way/inbound/{self.gateway.sudo().webhook_token}"
        params = self.inbound_params()
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sms.example.com"}
        response = self.post_webhook(params, signed_url=public_url, headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(self.find_messages(provider_sid=params["MessageSid"]))

    def test_redelivery_creates_nothing_new(self):
        params = self.inbound_params(body="Once")
        for _attempt in range(3):
            self.assertEqual(self.post_webhook(params).status_code, 200)
        self.assertEqual(len(self.find_messages(provider_sid=params["MessageSid"])), 1)
        self.assertEqual(
            len(
                self.env["mail.message"].search(
                    [
                        ("model", "=", "res.partner"),
                        ("res_id", "=", self.partner.id),
                        ("message_type", "=", "comment"),
                    ]
                )
            ),
            1,
        )

    def test_concurrent_duplicates_yield_one_message(self):
        params = self.inbound_params(body="Five times")
        url = self.webhook_url()
        headers = {
            "X-Twilio-Signature": sign_twilio_request(
                self.fake_twilio.auth_token, url, params
            )
        }
        with ThreadPoolExecutor(max_workers=5) as pool:
            responses = list(
                pool.map(
                    lambda _i: self.url_open(url, data=params, headers=headers),
                    range(5),
                )
            )
        self.assertEqual([r.status_code for r in responses], [200] * 5)
        self.assertEqual(len(self.find_messages(provider_sid=params["MessageSid"])), 1)

    def test_unknown_number_kept_in_inbox(self):
        message = self.receive_sms("Who is this?", sender="+32499887766")
        conversation = message.conversation_id
        self.assertFalse(conversation.partner_id)
        self.assertEqual(
            conversation.display_name, "+32499887766", "named by its number"
        )
        self.assertTrue(conversation.needs_reply)
        self.assertFalse(message.mail_message_id)
        action = conversation.action_create_lead()
        lead = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(
            (lead.mobile, lead.sms_conversation_id), ("+32499887766", conversation)
        )
        self.assertIn("Who is this?", lead.description)
        action = conversation.action_create_contact()
        self.assertEqual(conversation.partner_id.mobile, "+32499887766")
        self.assertEqual(action["res_id"], conversation.partner_id.id)
        self.assertEqual(conversation.name, conversation.partner_id.name)

    def test_mms_media_become_attachments(self):
        url = self.fake_twilio.add_media(
            f"/2010-04-01/Accounts/{self.fake_twilio.account_sid}/Messages/MM1/Media/ME1",
            b"\x89PNG fake",
            "image/png",
        )
        message = self.receive_sms(
            "Look", NumMedia="1", MediaUrl0=url, MediaContentType0="image/png"
        )
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertEqual(message.attachment_ids.raw, b"\x89PNG fake")
        self.assertEqual(message.attachment_ids.mimetype, "image/png")
        self.assertEqual(message.mail_message_id.attachment_ids, message.attachment_ids)
        self.assertFalse(message.media_error)

    def test_media_failure_keeps_text(self):
        missing = f"{self.fake_twilio.base_url}/2010-04-01/Accounts/{self.fake_twilio.account_sid}/Media/none"
        elsewhere = "https://evil.example.com/steal-credentials"
        message = self.receive_sms(
            "Two pictures", NumMedia="2", MediaUrl0=missing, MediaUrl1=elsewhere
        )
        self.assertEqual(message.body, "Two pictures")
        self.assertFalse(message.attachment_ids)
        self.assertIn("media 1", message.media_error)
        self.assertIn("media 2", message.media_error)

    def test_media_size_limit(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "sms_two_way.max_media_bytes", "10"
        )
        url = self.fake_twilio.add_media(
            "/2010-04-01/big.jpg", b"x" * 100, "image/jpeg"
        )
        message = self.receive_sms("Big", NumMedia="1", MediaUrl0=url)
        self.assertFalse(message.attachment_ids)
        self.assertIn("larger than", message.media_error)

    def test_simulator_webhook_signature(self):
        from ..models.sms_provider_simulator import simulator_signature

        params = {
            "MessageSid": "SIM" + "a" * 32,
            "From": self.partner_number,
            "Body": "Hi",
        }
        url = self.webhook_url(gateway=self.simulator)
        bad = self.url_open(
            url, data=params, headers={"X-Simulator-Signature": "0" * 64}
        )
        self.assertEqual(bad.status_code, 403)
        # The token is in the URL: a signature keyed with it alone proves nothing.
        keyed_by_url = simulator_signature(self.simulator.sudo().webhook_token, params)
        forged = self.url_open(
            url, data=params, headers={"X-Simulator-Signature": keyed_by_url}
        )
        self.assertEqual(forged.status_code, 403)
        self.assertFalse(self.find_messages(provider_sid=params["MessageSid"]))
        signature = self.env["sms.provider.simulator"]._sign(self.simulator, params)
        good = self.url_open(
            url, data=params, headers={"X-Simulator-Signature": signature}
        )
        self.assertEqual(good.status_code, 200)
        self.assertEqual(
            self.find_messages(provider_sid=params["MessageSid"]).gateway_id,
            self.simulator,
        )


@tagged("post_install", "-at_install")
class TestStatusWebhook(SmsTwoWayHttpCase):
    def _send_one(self, body="Your order shipped"):
        self.partner.with_context(**send_options_context(self.gateway))._message_sms(
            body
        )
        message = self.find_messages(direction="outbound", body=body)
        self.assertEqual(message.state, "queued")
        return message

    def _status(self, message, status, **extra):
        params = {
            "MessageSid": message.provider_sid,
            "MessageStatus": status,
            "AccountSid": self.fake_twilio.account_sid,
            **extra,
        }
        return self.post_webhook(params, kind="status")

    def test_status_callbacks_update_message_and_notification(self):
        message = self._send_one()
        notification = message.mail_message_id.notification_ids
        self.assertEqual(notification.notification_status, "pending")
        self.assertEqual(self._status(message, "sent").status_code, 200)
        self.assertEqual(message.state, "sent")
        self.assertEqual(self._status(message, "delivered").status_code, 200)
        self.assertEqual(message.state, "delivered")
        self.assertEqual(notification.notification_status, "sent")
        # A late "sent" never moves a delivered message back.
        self._status(message, "sent")
        self.assertEqual(message.state, "delivered")

    def test_undelivered_marks_notification_in_error(self):
        message = self._send_one()
        self._status(
            message,
            "undelivered",
            ErrorCode="30003",
            ErrorMessage="Unreachable handset",
        )
        self.assertEqual(message.state, "undelivered")
        self.assertEqual(message.error_code, "30003")
        notification = message.mail_message_id.notification_ids
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.failure_type, "sms_not_delivered")

    def test_21610_records_opt_out(self):
        message = self._send_one()
        self._status(message, "failed", ErrorCode="21610")
        self.assertEqual(message.state, "failed")
        consent = self.env["sms.consent"].search([("number", "=", self.partner_number)])
        self.assertEqual(consent.direction, "opt_out")
        self.assertEqual(consent.source, "provider")
        self.assertEqual(consent.partner_id, self.partner)
        self.assertTrue(
            self.env["phone.blacklist"].search([("number", "=", self.partner_number)])
        )
        self.assertEqual(
            message.mail_message_id.notification_ids.failure_type, "sms_optout"
        )

    def test_malformed_status_rejected(self):
        message = self._send_one()
        response = self._status(message, "exploded")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(message.state, "queued")

    def test_unsigned_status_rejected(self):
        message = self._send_one()
        params = {"MessageSid": message.provider_sid, "MessageStatus": "delivered"}
        response = self.post_webhook(params, kind="status", sign=False)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(message.state, "queued")

    def test_status_for_unknown_message_ignored(self):
        params = {"MessageSid": new_message_sid(), "MessageStatus": "delivered"}
        self.assertEqual(self.post_webhook(params, kind="status").status_code, 200)
