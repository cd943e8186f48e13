from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install")
class TestPromptRouting(SmsTwoWayHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conversation = cls.env["sms.conversation"]._get_for_recipient(
            partner=cls.partner
        )
        cls.order_a = cls.env["res.partner"].create({"name": "Delivery A"})
        cls.order_b = cls.env["res.partner"].create({"name": "Delivery B"})

    def ask(self, record, description, **kwargs):
        return self.env["sms.prompt"]._open(
            self.conversation, record, "yes_no", description, **kwargs
        )

    def notes(self, record):
        return " ".join(record.message_ids.mapped("body"))

    def test_single_prompt_takes_yes_variant(self):
        prompt = self.ask(self.order_a, "Delivery A on Monday")
        self.receive_sms("yeah 👍")
        self.assertEqual(prompt.state, "answered")
        self.assertIn("Answered yes by SMS", self.notes(self.order_a))
        self.assertFalse(
            self.env["sms.consent"].search([]),
            "YES answered the question, it is no opt-in",
        )

    def test_no_answer(self):
        prompt = self.ask(self.order_a, "Delivery A on Monday")
        self.receive_sms("Nope")
        self.assertEqual(prompt.state, "answered")
        self.assertIn("Answered no by SMS", self.notes(self.order_a))

    def test_two_open_prompts_ask_which_one(self):
        prompt_a = self.ask(self.order_a, "Delivery A on Monday")
        prompt_b = self.ask(self.order_b, "Delivery B on Friday")
        self.receive_sms("Yes")
        [question] = [form["Body"] for form in self.fake_twilio.message_requests()]
        self.assertIn("1 for Delivery A on Monday", question)
        self.assertIn("2 for Delivery B on Friday", question)
        self.assertEqual((prompt_a.state, prompt_b.state), ("open", "open"))
        self.receive_sms("2")
        self.assertEqual((prompt_a.state, prompt_b.state), ("open", "answered"))
        self.assertIn("Answered yes by SMS: Yes", self.notes(self.order_b))
        self.assertNotIn("Answered", self.notes(self.order_a))

    def test_choice_out_of_range_is_handed_off(self):
        prompt_a = self.ask(self.order_a, "Delivery A on Monday")
        prompt_b = self.ask(self.order_b, "Delivery B on Friday")
        self.receive_sms("Yes")
        message = self.receive_sms("3")
        self.assertTrue(
            message.conversation_id.needs_reply, "an impossible choice needs a person"
        )
        self.assertEqual((prompt_a.state, prompt_b.state), ("open", "open"))

    def test_expired_prompt_is_ignored(self):
        prompt = self.ask(
            self.order_a,
            "Old question",
            expires_at=fields.Datetime.now() - timedelta(minutes=1),
        )
        message = self.receive_sms("sure")
        self.assertEqual(prompt.state, "open")
        self.assertTrue(
            message.conversation_id.needs_reply, "no open prompt: handed off"
        )
        self.assertEqual(self.env["sms.prompt"]._cron_expire(), 1)
        self.assertEqual(prompt.state, "expired")

    def test_no_prompt_unrecognised_reply_is_handed_off(self):
        message = self.receive_sms("Maybe later")
        self.assertTrue(message.conversation_id.needs_reply)

    def test_stop_cancels_open_prompts(self):
        prompt = self.ask(self.order_a, "Delivery A on Monday")
        self.receive_sms("STOP")
        self.assertEqual(prompt.state, "cancelled")

    def test_prompts_of_other_numbers_do_not_answer(self):
        prompt = self.ask(self.order_a, "Delivery A on Monday")
        self.receive_sms("yes", sender="+32470999888")
        self.assertEqual(prompt.state, "open")

    def test_open_until_bounds_every_question_asked(self):
        """Replies look for questions only while one can be open: the bound must never miss one.

        It follows the questions asked, not their answers: closing one writes
        nothing on the conversation (whose row processing may hold).
        """
        self.assertFalse(self.conversation.prompt_open_until)
        soon = fields.Datetime.now() + timedelta(hours=1)
        later = fields.Datetime.now() + timedelta(hours=5)
        prompt_a = self.ask(self.order_a, "Delivery A on Monday", expires_at=soon)
        self.assertEqual(self.conversation.prompt_open_until, soon)
        prompt_b = self.ask(self.order_b, "Delivery B on Friday", expires_at=later)
        self.assertEqual(self.conversation.prompt_open_until, later)
        prompt_a.sudo().expires_at = later + timedelta(hours=1)  # given more time
        self.assertEqual(
            self.conversation.prompt_open_until, later + timedelta(hours=1)
        )
        prompt_a._close()
        self.assertEqual(
            self.conversation.prompt_open_until,
            later + timedelta(hours=1),
            "an answer leaves the bound (and the conversation's row) alone",
        )
        self.assertEqual(self.conversation._get_open_prompts(), prompt_b)

    def test_no_prompt_query_while_none_can_be_open(self):
        Prompt = self.env["sms.prompt"].sudo()
        self.ask(
            self.order_a,
            "Old question",
            expires_at=fields.Datetime.now() - timedelta(minutes=1),
        )
        self.env.flush_all()
        with self.assertQueryCount(0):
            self.assertEqual(self.conversation._get_open_prompts(), Prompt)
        prompt = self.ask(self.order_b, "Delivery B on Friday")
        self.assertEqual(self.conversation._get_open_prompts(), prompt)
