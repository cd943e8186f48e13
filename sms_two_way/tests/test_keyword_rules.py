from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install")
class TestKeywordRules(SmsTwoWayHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls.env["res.users"].create(
            {
                "name": "Sam Sales",
                "login": "sam_sales",
                "email": "sam@example.com",
                "groups_id": [(6, 0, [cls.env.ref("sms_two_way.group_sms_user").id])],
            }
        )
        cls.partner.user_id = cls.salesperson
        cls.hours_rule = cls.env["sms.keyword"].create(
            {
                "name": "Opening hours",
                "keyword": "HOURS",
                "aliases": "opening, horaires",
                "action": "reply",
                "reply_body": "Hi {name}, we are open 9-17.",
            }
        )

    def sent_bodies(self):
        return [form["Body"] for form in self.fake_twilio.message_requests()]

    def test_keyword_with_aliases_answers(self):
        for text in ("hours", "Opening?", "HORAIRES !"):
            with self.subTest(text=text):
                self.fake_twilio.requests.clear()
                message = self.receive_sms(text)
                self.assertEqual(
                    self.sent_bodies(), ["Hi Alice Customer, we are open 9-17."]
                )
                self.assertFalse(message.conversation_id.needs_reply)

    def test_server_action_receives_matched_value(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Store rating",
                "model_id": self.env.ref("sms_two_way.model_sms_conversation").id,
                "state": "code",
                "code": "record.message_post(body='rated %s by %s: %s' % ("
                "env.context['sms_value'], env.context['sms_partner'].name, env.context['sms_message']))",
            }
        )
        self.env["sms.keyword"].create(
            {
                "name": "Rating",
                "match_mode": "number_range",
                "number_min": 1,
                "number_max": 5,
                "action": "server_action",
                "server_action_id": action.id,
                "reply_body": "Thanks for the {value}!",
            }
        )
        message = self.receive_sms("I'd say 4 stars")
        self.assertIn(
            "rated 4 by Alice Customer: I'd say 4 stars",
            message.conversation_id.message_ids.mapped("body")[0],
        )
        self.assertEqual(self.sent_bodies(), ["Thanks for the 4!"])

    def test_out_of_range_number_is_handed_off(self):
        self.env["sms.keyword"].create(
            {
                "name": "Rating",
                "match_mode": "number_range",
                "number_min": 1,
                "number_max": 5,
                "action": "reply",
                "reply_body": "Thanks",
            }
        )
        message = self.receive_sms("9")
        self.assertTrue(message.conversation_id.needs_reply)

    def test_handoff_assigns_salesperson_notifies_and_acknowledges_once_a_day(self):
        message = self.receive_sms("Can I bring my dog?")
        conversation = message.conversation_id
        self.assertTrue(conversation.needs_reply)
        self.assertEqual(conversation.user_id, self.salesperson)
        activity = conversation.activity_ids
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertIn("Can I bring my dog?", activity.note)
        self.assertEqual(self.sent_bodies(), [self.company.sms_handoff_ack_body])
        self.receive_sms("And my <script>cat</script>?")
        self.assertEqual(
            len(self.sent_bodies()), 1, "one acknowledgement per conversation per day"
        )
        self.assertEqual(len(conversation.activity_ids), 1)
        self.assertIn("&lt;script&gt;", conversation.activity_ids.note)

    def test_handoff_to_company_user_without_salesperson(self):
        handler = self.env["res.users"].create(
            {"name": "Desk", "login": "desk", "email": "desk@example.com"}
        )
        self.company.sms_handoff_user_id = handler
        message = self.receive_sms("Who is this?", sender="+32499001122")
        self.assertEqual(message.conversation_id.user_id, handler)

    def test_handoff_to_team_leader(self):
        leader = self.env["res.users"].create(
            {"name": "Lead", "login": "team_lead", "email": "lead@example.com"}
        )
        self.company.sms_handoff_team_id = self.env["crm.team"].create(
            {"name": "SMS desk", "user_id": leader.id}
        )
        message = self.receive_sms("Anyone there?", sender="+32499001133")
        self.assertEqual(message.conversation_id.user_id, leader)
        self.assertEqual(message.conversation_id.activity_ids.user_id, leader)

    def test_loop_protection_caps_auto_replies(self):
        self.company.sms_auto_reply_limit = 2
        for _attempt in range(4):
            self.receive_sms("hours")
        self.assertEqual(len(self.sent_bodies()), 2)

    def test_machine_generated_text_gets_no_auto_reply(self):
        message = self.receive_sms("This is an automated message. Do not reply.")
        self.assertFalse(self.fake_twilio.message_requests())
        self.assertTrue(message.conversation_id.needs_reply)

    def test_tester_explains_which_rule_and_why(self):
        tester = self.env["sms.keyword.tester"].create({"text": "Opening!!"})
        self.assertIn("Opening hours", tester.result)
        self.assertIn("opening", tester.result.lower())
        tester.text = "stop"
        self.assertIn("opt_out", tester.result)
        tester.text = "tell me a joke"
        self.assertIn("handed off", tester.result)

    def test_invalid_regex_rejected(self):
        with self.assertRaises(ValidationError):
            self.env["sms.keyword"].create(
                {"name": "Broken", "match_mode": "regex", "pattern": "(unclosed"}
            )

    def test_rule_of_other_company_ignored(self):
        other = self.env["res.company"].create({"name": "Other"})
        self.hours_rule.company_id = other
        message = self.receive_sms("hours")
        self.assertTrue(message.conversation_id.needs_reply)

    def test_rule_changes_apply_to_the_next_reply(self):
        """The compiled rules are cached per worker: every change must rebuild them."""
        Keyword = self.env["sms.keyword"]

        def matched(text):
            return Keyword._match(text, self.company)[0]

        self.assertEqual(matched("hours"), self.hours_rule)
        self.hours_rule.write({"keyword": "TIMES", "aliases": False})
        self.assertFalse(matched("hours"))
        self.assertEqual(matched("times"), self.hours_rule)
        self.hours_rule.action_archive()
        self.assertFalse(matched("times"))
        self.hours_rule.action_unarchive()
        self.assertEqual(matched("times"), self.hours_rule)
        menu = Keyword.create({"name": "Menu", "keyword": "MENU", "action": "reply"})
        self.assertEqual(matched("menu"), menu)
        menu.unlink()
        self.assertFalse(matched("menu"))

    def test_a_caller_context_never_leaks_into_the_shared_matcher(self):
        Keyword = self.env["sms.keyword"]
        self.hours_rule.action_archive()
        for keyword in (Keyword.with_context(active_test=False), Keyword):
            with self.subTest(context=keyword.env.context):
                self.assertFalse(keyword._match("hours", self.company)[0])

    def test_matching_a_reply_reads_no_rule(self):
        Keyword = self.env["sms.keyword"]
        Keyword._match("warm-up", self.company)
        self.env.invalidate_all()
        with self.assertQueryCount(0):
            self.assertFalse(Keyword._match("tell me a joke", self.company)[0])
        with self.assertQueryCount(1):  # the matched rule still exists
            self.assertEqual(Keyword._match("hours", self.company)[0], self.hours_rule)

    def test_later_replies_leave_a_conversation_needing_a_reply_untouched(self):
        """Only the first handoff assigns and flags; the next ones write (and track) nothing."""
        conversation = self.receive_sms("Can I bring my dog?").conversation_id
        self.assertTrue(conversation.needs_reply)
        Conversation = self.registry["sms.conversation"]
        written = []
        write = Conversation.write

        def record(records, vals):
            written.append(set(vals))
            return write(records, vals)

        with patch.object(Conversation, "write", autospec=True, side_effect=record):
            self.receive_sms("And my cat?")
        self.assertFalse(
            [fields for fields in written if fields & {"inbox_state", "user_id"}]
        )
        self.assertEqual(conversation.user_id, self.salesperson)
        self.assertEqual(len(conversation.activity_ids), 1)
