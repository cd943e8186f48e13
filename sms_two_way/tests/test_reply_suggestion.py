import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SmsTwoWayHttpCase


class FakeChatEndpoint:
    """A tiny OpenAI-compatible chat-completions server on loopback.

    ``mode`` is ``ok`` (answers ``draft``, or ``pick`` when asked to choose
    a prepared answer), ``fail`` (HTTP 500) or ``slow`` (answers after
    ``delay`` seconds).  Every request is kept in ``requests``.
    """

    def __init__(self):
        self.mode, self.delay = "ok", 3.0
        self.draft, self.pick = (
            "Hi Alice, a team member will check and get back to you.",
            "0",
        )
        self.requests = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append({"headers": dict(self.headers), "body": body})
                if endpoint.mode == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                if endpoint.mode == "slow":
                    time.sleep(endpoint.delay)
                asked = body["messages"][-1]["content"]
                content = (
                    endpoint.pick
                    if "Reply with its number only" in asked
                    else endpoint.draft
                )
                payload = json.dumps(
                    {
                        "choices": [
                            {"message": {"role": "assistant", "content": content}}
                        ]
                    }
                ).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout)
                    return

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (
            f"http://127.0.0.1:{self.server.server_address[1]}/v1/chat/completions"
        )

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install")
class TestReplySuggestion(SmsTwoWayHttpCase):
    """Optional AI drafts for handed-off messages: background only, never sent, off by default."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint = FakeChatEndpoint().start()
        cls.addClassCleanup(cls.endpoint.stop)
        cls.parking = cls.env["sms.faq"].create(
            {
                "question": "Is there parking?\nWhere can I park?",
                "answer": "Free parking behind the building, {first_name}.",
            }
        )
        cls.env["sms.faq"].create(
            {"question": "What are your opening hours?", "answer": "Open 9-17."}
        )
        cls.env["sms.faq"].create(
            {"question": "How much is a membership?", "answer": "99 EUR a month."}
        )
        cls.cron = cls.env.ref("sms_two_way.ir_cron_sms_suggest_replies")

    def setUp(self):
        super().setUp()
        self.endpoint.mode = "ok"
        self.endpoint.pick = "0"
        self.endpoint.requests.clear()

    def configure(self, timeout=1.0):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sms_two_way.ai_url", self.endpoint.url)
        params.set_param("sms_two_way.ai_model", "test-model")
        params.set_param("sms_two_way.ai_api_key", "sk-test")
        params.set_param("sms_two_way.ai_timeout", str(timeout))

    def triggers(self):
        return (
            self.env["ir.cron.trigger"]
            .sudo()
            .search_count([("cron_id", "=", self.cron.id)])
        )

    def sent_bodies(self):
        return [form["Body"] for form in self.fake_twilio.message_requests()]

    def test_off_by_default_nothing_is_sent(self):
        message = self.receive_sms("Can I bring my dog and my cat to the sauna?")
        self.assertEqual(message.handled_by, "handoff")
        self.assertFalse(message.conversation_id.suggestion_state)
        self.assertEqual(self.triggers(), 0)
        self.env["sms.conversation"]._cron_suggest_replies()
        self.assertEqual(self.endpoint.requests, [])

    def test_handoff_gets_a_draft_in_the_background_never_sent(self):
        self.configure()
        before = self.triggers()
        message = self.receive_sms("Can I bring my dog and my cat to the sauna?")
        conversation = message.conversation_id
        self.assertEqual(conversation.suggestion_state, "pending")
        self.assertEqual(
            self.endpoint.requests,
            [],
            "nothing is called while the message is processed",
        )
        self.assertEqual(self.triggers(), before + 1)
        self.env["sms.conversation"]._cron_suggest_replies()
        self.assertEqual(conversation.suggestion_state, "done")
        self.assertEqual(conversation.suggested_reply, self.endpoint.draft)
        [request] = self.endpoint.requests
        self.assertEqual(request["headers"]["Authorization"], "Bearer sk-test")
        self.assertEqual(request["body"]["model"], "test-model")
        sent = json.dumps(request["body"])
        self.assertIn(
            "Free parking behind the building",
            sent,
            "the FAQ answers are the assistant's facts",
        )
        self.assertIn("Alice", sent)
        self.assertIn("Can I bring my dog", sent)
        self.assertNotIn("470123456", sent, "no phone number leaves Odoo")
        self.assertNotIn("Alice Customer", sent, "the first name only")
        self.assertEqual(
            self.sent_bodies(),
            [self.company.sms_handoff_ack_body],
            "a suggestion is never sent",
        )
        conversation.with_user(self.sms_user).action_use_suggestion()
        self.assertEqual(conversation.reply_body, self.endpoint.draft)
        self.assertFalse(conversation.suggestion_state)

    def test_failing_endpoint_marks_failed_and_breaks_nothing(self):
        self.configure()
        self.endpoint.mode = "fail"
        message = self.receive_sms("Can I bring my dog and my cat to the sauna?")
        self.assertEqual(message.handled_by, "handoff")
        self.env["sms.conversation"]._cron_suggest_replies()
        self.assertEqual(message.conversation_id.suggestion_state, "failed")
        self.assertTrue(message.conversation_id.needs_reply)

    def test_slow_endpoint_times_out(self):
        self.configure(timeout=1.0)
        self.endpoint.mode = "slow"
        message = self.receive_sms("Can I bring my dog and my cat to the sauna?")
        begin = time.monotonic()
        self.env["sms.conversation"]._cron_suggest_replies()
        self.assertLess(
            time.monotonic() - begin,
            self.endpoint.delay,
            "the configured timeout applies",
        )
        self.assertEqual(message.conversation_id.suggestion_state, "failed")

    def middling_text(self):
        text = "parking for my big white camper van"
        found = self.env["sms.faq"]._get_matcher(self.company.id).match(text)
        threshold = self.company.sms_faq_threshold
        self.assertTrue(threshold - 0.25 <= found.confidence < threshold, found)
        return text

    def test_middling_confidence_may_only_pick_an_existing_answer(self):
        self.configure()
        self.endpoint.pick = "1"
        message = self.receive_sms(self.middling_text())
        self.assertEqual(message.handled_by, "handoff")
        self.env["sms.conversation"]._cron_suggest_replies()
        conversation = message.conversation_id
        self.assertEqual(conversation.suggestion_faq_id, self.parking)
        self.assertEqual(
            conversation.suggested_reply, "Free parking behind the building, Alice."
        )
        self.assertEqual(len(self.endpoint.requests), 1)

    def test_middling_confidence_free_text_pick_is_ignored(self):
        self.configure()
        self.endpoint.pick = "Sure! Park anywhere you like."
        message = self.receive_sms(self.middling_text())
        self.env["sms.conversation"]._cron_suggest_replies()
        conversation = message.conversation_id
        self.assertFalse(conversation.suggestion_faq_id)
        self.assertEqual(
            conversation.suggested_reply,
            self.endpoint.draft,
            "no pick: an ordinary draft",
        )
        self.assertEqual(len(self.endpoint.requests), 2)

    def test_endpoint_over_plain_http_is_never_called(self):
        self.configure()
        self.env["ir.config_parameter"].sudo().set_param(
            "sms_two_way.allow_loopback_http_api", False
        )
        message = self.receive_sms("Can I bring my dog and my cat to the sauna?")
        self.env["sms.conversation"]._cron_suggest_replies()
        self.assertFalse(message.conversation_id.suggested_reply)
        self.assertFalse(
            self.endpoint.requests,
            "the API key and the customer's text went out in clear",
        )

    def test_settings_are_for_administrators_only(self):
        self.configure()
        fields = self.env["res.config.settings"]._fields
        for name in ("sms_ai_url", "sms_ai_model", "sms_ai_api_key", "sms_ai_timeout"):
            self.assertEqual(fields[name].groups, "base.group_system", name)
        with self.assertRaises(AccessError):
            self.env["ir.config_parameter"].with_user(self.sms_user).search(
                [("key", "=", "sms_two_way.ai_api_key")]
            )
