import time
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SmsTwoWayHttpCase
from .test_quiet_hours import utc_of


@tagged("post_install", "-at_install")
class TestChatThread(SmsTwoWayHttpCase):
    """What the chat thread widget and its composer ask the server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = cls.create_rep("rita_chat", tz="Europe/Brussels")
        cls.partner.tz = "Europe/Brussels"
        cls.conversation = (
            cls.env["sms.conversation"]
            ._get_for_recipient(partner=cls.partner)
            .with_user(cls.rep)
        )

    def test_thread_lists_both_sides_oldest_first_with_their_states(self):
        self.conversation.send_chat_reply("Hi {name}, your order is ready")
        self.receive_sms(
            "Great, can I come at 5pm?"
        )  # handed off: the acknowledgement is automatic
        thread = self.conversation.get_chat_thread()
        bubbles = [
            (m["direction"], m["body"], m["is_auto_reply"], m["author"])
            for m in thread["messages"]
        ]
        self.assertEqual(
            bubbles,
            [
                (
                    "outbound",
                    "Hi Alice Customer, your order is ready",
                    False,
                    "Rita Rep",
                ),
                ("inbound", "Great, can I come at 5pm?", False, ""),
                ("outbound", self.company.sms_handoff_ack_body, True, ""),
            ],
        )
        self.assertEqual(thread["messages"][0]["state"], "queued")
        self.assertEqual(thread["inbox_state"], "needs_reply")
        self.assertEqual(thread["unread_count"], 1)

    def test_a_persons_reply_is_sent_in_their_request(self):
        """What a person types goes out at once (they see whether it left), unlike automated
        texts, which only the SMS queue sends."""
        triggers = self.sms_queue_triggers()
        self.conversation.send_chat_reply("On my way")
        [form] = self.fake_twilio.message_requests()
        self.assertEqual((form["To"], form["Body"]), (self.partner_number, "On my way"))
        self.assertEqual(self.sms_queue_triggers(), triggers, "nothing left to queue")
        [bubble] = self.conversation.get_chat_thread()["messages"]
        self.assertEqual((bubble["state"], bubble["author"]), ("queued", "Rita Rep"))

    def test_refused_message_carries_its_reason(self):
        self.fake_twilio.mode = "reject"
        self.conversation.send_chat_reply("Will this arrive?")
        [bubble] = self.conversation.get_chat_thread()["messages"]
        self.assertEqual(bubble["state"], "error")
        self.assertIn("Rejected with", bubble["error"])

    def test_answer_to_a_prompt_shows_its_chip(self):
        self.env["sms.prompt"]._open(
            self.conversation, self.partner, "yes_no", "Newsletter in French?"
        )
        self.receive_sms("yes")
        inbound = [
            m
            for m in self.conversation.get_chat_thread()["messages"]
            if m["direction"] == "inbound"
        ]
        self.assertEqual(inbound[0]["chip"], "Newsletter in French?")

    def test_rep_without_write_access_to_the_contact_can_answer(self):
        with self.assertRaises(AccessError):
            self.partner.with_user(self.rep).check_access("write")
        self.conversation.send_chat_reply("I can answer anyway")
        sent = self.find_messages(direction="outbound", body="I can answer anyway")
        self.assertEqual(sent.author_id, self.rep)
        self.assertEqual(
            sent.mail_message_id.author_id,
            self.rep.partner_id,
            "logged on the contact as the rep",
        )

    def test_sending_clears_the_draft(self):
        self.conversation.reply_body = (
            "A suggested reply the rep edits"  # what "Edit and send" fills in
        )
        self.conversation.send_chat_reply("A suggested reply the rep edited")
        self.assertFalse(self.conversation.reply_body)

    def test_empty_reply_is_refused(self):
        with self.assertRaises(UserError):
            self.conversation.send_chat_reply("   ")

    def test_composer_gets_the_alphabet_of_core_segments(self):
        info = self.conversation.get_composer_info()
        self.assertIn("€", info["gsm7_extension"])
        self.assertEqual(len(info["gsm7_basic"]), 127)
        self.assertEqual(info["capacity"], {"GSM-7": [160, 153], "UCS-2": [70, 67]})
        self.assertEqual(info["name"], "Alice Customer")

    def test_composer_warns_before_texting_an_opted_out_number(self):
        self.assertFalse(self.conversation.get_composer_info()["warnings"])
        self.env["sms.consent"]._record_opt_out(
            self.partner_number, "manual", partner=self.partner
        )
        [warning] = self.conversation.get_composer_info()["warnings"]
        self.assertIn("opted out", warning)

    def test_composer_warns_outside_allowed_hours_and_send_later_respects_them(self):
        self.company.sms_quiet_hours = True
        today = fields.Date.today()
        with freeze_time(utc_of(today, 23, "Europe/Brussels")):
            info = self.conversation.get_composer_info()
            self.assertIn("allowed hours", info["warnings"][0])
            tomorrow_8 = utc_of(today + timedelta(days=1), 8, "Europe/Brussels")
            self.assertEqual(
                info["allowed_from"], fields.Datetime.to_string(tomorrow_8)
            )
            # Asked for 23:30 tonight: deferred to the first allowed minute, 8:00 tomorrow.
            self.conversation.send_chat_reply(
                "See you tomorrow",
                send_after=fields.Datetime.to_string(
                    utc_of(today, 23, "Europe/Brussels") + timedelta(minutes=30)
                ),
            )
        sms = self.env["sms.sms"].sudo().search([("body", "=", "See you tomorrow")])
        self.assertEqual(sms.sms_two_way_not_before, tomorrow_8)
        self.assertEqual(sms.state, "outgoing")
        self.assertFalse(
            self.fake_twilio.message_requests(), "not sent before its time"
        )

    def test_picture_goes_out_as_mms_behind_an_expiring_signed_url(self):
        picture = b"\x89PNG\r\n\x1a\n fake picture bytes"
        attachment = (
            self.env["ir.attachment"]
            .with_user(self.rep)
            .create(
                {
                    "name": "map.png",
                    "raw": picture,
                    "mimetype": "image/png",
                    "res_model": "sms.conversation",
                    "res_id": self.conversation.id,
                }
            )
        )
        self.conversation.send_chat_reply(
            "Here is the map", attachment_ids=attachment.ids
        )
        [form] = self.fake_twilio.message_requests()
        media_url = form["MediaUrl"]
        self.assertTrue(
            media_url.startswith(
                self.base_url() + f"/sms_two_way/media/{attachment.id}/"
            )
        )
        response = self.url_open(media_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, picture)
        forged = media_url[:-8] + "00000000"
        self.assertEqual(self.url_open(forged).status_code, 404)
        Message = self.env["sms.conversation.message"]
        expired = int(time.time()) - 1
        expired_url = f"/sms_two_way/media/{attachment.id}/{expired}/{Message._sign_media(attachment.id, expired)}"
        self.assertEqual(self.url_open(expired_url).status_code, 404)
        [bubble] = self.conversation.get_chat_thread()["messages"]
        self.assertEqual([a["id"] for a in bubble["attachments"]], attachment.ids)

    def test_only_safe_media_types_go_behind_a_public_url(self):
        archive = (
            self.env["ir.attachment"]
            .with_user(self.rep)
            .create(
                {
                    "name": "tool.zip",
                    "raw": b"PK\x03\x04 archive",
                    "mimetype": "application/zip",
                    "res_model": "sms.conversation",
                    "res_id": self.conversation.id,
                }
            )
        )
        with self.assertRaises(UserError):
            self.conversation.send_chat_reply("Look", attachment_ids=archive.ids)

    def test_only_files_of_this_conversation_can_be_sent(self):
        other = self.env["ir.attachment"].create(
            {
                "name": "secret.pdf",
                "raw": b"%PDF",
                "res_model": "res.partner",
                "res_id": self.partner.id,
            }
        )
        with self.assertRaises(UserError):
            self.conversation.send_chat_reply("Look", attachment_ids=other.ids)
