from odoo import Command
from odoo.tests import tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install")
class TestInboxStateMachine(SmsTwoWayHttpCase):
    """A handed-off conversation needs a reply until a person answers or marks it done."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = cls.create_rep("rita_rep")
        cls.partner.user_id = cls.rep
        cls.env["sms.keyword"].create(
            {
                "name": "Hours",
                "keyword": "HOURS",
                "action": "reply",
                "reply_body": "We are open 9-17.",
            }
        )

    def reply_activities(self, conversation):
        return conversation._get_reply_activities()

    def answer_as(self, user, conversation, text="We will call you back."):
        conversation = conversation.with_user(user)
        conversation.reply_body = text
        conversation.action_send_reply()

    def test_automatic_answer_to_a_later_message_keeps_the_question_open(self):
        conversation = self.receive_sms("Can I come at 5pm instead?").conversation_id
        self.assertEqual(conversation.inbox_state, "needs_reply")
        self.assertTrue(conversation.needs_reply)
        activity = self.reply_activities(conversation)
        self.assertEqual(activity.user_id, self.rep)
        self.receive_sms("hours")
        self.assertIn(
            "We are open 9-17.",
            [form["Body"] for form in self.fake_twilio.message_requests()],
        )
        self.assertEqual(
            conversation.inbox_state,
            "needs_reply",
            "an automatic answer settles nothing",
        )
        self.assertEqual(self.reply_activities(conversation), activity)
        self.receive_sms("And can I bring my dog?")
        self.assertEqual(
            self.reply_activities(conversation), activity, "one open activity at most"
        )
        self.assertIn("bring my dog", str(activity.note))

    def test_a_persons_answer_closes_flag_and_activity_together(self):
        conversation = self.receive_sms("Is the blue one in stock?").conversation_id
        self.answer_as(self.rep, conversation)
        self.assertEqual(conversation.inbox_state, "waiting")
        self.assertFalse(conversation.needs_reply)
        self.assertFalse(self.reply_activities(conversation))
        answer = self.find_messages(direction="outbound", body="We will call you back.")
        self.assertEqual(answer.author_id, self.rep)
        self.assertIn(
            "Answered by SMS.", " ".join(conversation.message_ids.mapped("body"))
        )
        self.receive_sms("Thanks!")
        self.assertEqual(conversation.inbox_state, "needs_reply")
        self.assertEqual(len(self.reply_activities(conversation)), 1)

    def test_only_an_answer_to_a_conversation_needing_one_is_tracked(self):
        """A person's text to a quiet conversation logs no "Inbox" change on its chatter."""
        needing = self.receive_sms("Is the red one in stock?").conversation_id
        quiet = self.env["sms.conversation"]._get_or_create(
            self.gateway, "+32470990011", partner=self.partner
        )
        self.assertEqual(quiet.inbox_state, "done")

        def inbox_changes(conversation):
            self.env.flush_all()
            return conversation.message_ids.tracking_value_ids.filtered(
                lambda t: t.field_id.name == "inbox_state"
            )

        before = {
            conversation: inbox_changes(conversation)
            for conversation in needing | quiet
        }
        for conversation in needing | quiet:
            self.answer_as(self.rep, conversation)
        for conversation, tracked in ((needing, 1), (quiet, 0)):
            self.assertEqual(conversation.inbox_state, "waiting")
            new_changes = inbox_changes(conversation) - before[conversation]
            self.assertEqual(len(new_changes), tracked, conversation.number)

    def test_automated_outbound_is_no_answer(self):
        conversation = self.receive_sms("Do you deliver on Sunday?").conversation_id
        conversation.with_user(self.rep)._send_text(
            "Reminder: your order ships today", category="automated"
        )
        webhook = self.env.ref(
            "base.public_user"
        )  # rules triggered by a webhook run as the public user
        conversation.with_user(webhook).sudo()._send_text(
            "Sent by a rule", category="direct"
        )
        self.send_queued()  # the automated text
        self.assertIn(
            "Reminder: your order ships today",
            [form["Body"] for form in self.fake_twilio.message_requests()],
        )
        self.assertEqual(conversation.inbox_state, "needs_reply")
        self.assertTrue(self.reply_activities(conversation))
        self.assertFalse(
            self.find_messages(
                conversation_id=conversation.id, direction="outbound"
            ).author_id
        )

    def test_mark_done_closes_the_activity(self):
        conversation = self.receive_sms("Call me maybe").conversation_id
        conversation.with_user(self.rep).action_mark_done()
        self.assertEqual(conversation.inbox_state, "done")
        self.assertFalse(self.reply_activities(conversation))

    def test_activity_done_marks_the_conversation_done(self):
        conversation = self.receive_sms("Please call").conversation_id
        self.reply_activities(conversation).with_user(self.rep).action_feedback(
            feedback="Called her"
        )
        self.assertEqual(conversation.inbox_state, "done")

    def test_activity_follows_reassignment(self):
        other = self.env["res.users"].create(
            {"name": "Otto", "login": "otto_rep", "email": "otto@example.com"}
        )
        conversation = self.receive_sms("Who handles invoices?").conversation_id
        conversation.user_id = other
        self.assertEqual(self.reply_activities(conversation).user_id, other)

    def test_machine_text_is_left_to_a_person_without_auto_reply(self):
        conversation = self.receive_sms(
            "This is an automated message. Do not reply."
        ).conversation_id
        self.assertEqual(conversation.inbox_state, "needs_reply")
        self.assertTrue(self.reply_activities(conversation))
        self.assertFalse(self.fake_twilio.message_requests())

    def test_unread_counts_are_per_user(self):
        conversation = self.receive_sms("First").conversation_id
        self.receive_sms("Second")
        self.assertEqual(conversation.with_user(self.rep).unread_count, 2)
        self.assertEqual(conversation.with_user(self.sms_user).unread_count, 2)
        conversation.with_user(self.rep).action_mark_seen()
        self.assertEqual(conversation.with_user(self.rep).unread_count, 0)
        self.assertEqual(conversation.with_user(self.sms_user).unread_count, 2)
        self.receive_sms("Third")
        conversation.invalidate_recordset(["unread_count"])
        self.assertEqual(conversation.with_user(self.rep).unread_count, 1)
        self.answer_as(self.rep, conversation)
        conversation.invalidate_recordset(["unread_count"])
        self.assertEqual(
            conversation.with_user(self.rep).unread_count,
            0,
            "answering reads the thread",
        )

    def test_contact_chatter_entry_links_to_the_conversation(self):
        message = self.receive_sms("Where is my order?")
        link = rf"data-oe-model=.sms\.conversation. data-oe-id=.{message.conversation_id.id}."
        self.assertRegex(message.mail_message_id.body, link)

    def assignment_notifications(self, conversation):
        return self.env["mail.message"].search(
            [
                ("model", "=", "sms.conversation"),
                ("res_id", "=", conversation.id),
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", self.rep.partner_id.ids),
            ]
        )

    def test_assignee_is_notified_once_per_burst(self):
        conversation = self.receive_sms("Question one").conversation_id
        self.receive_sms("Question two")
        self.receive_sms("Question three")
        self.assertEqual(len(self.assignment_notifications(conversation)), 1)
        self.answer_as(self.rep, conversation)
        self.receive_sms("A new question after the answer")
        self.assertEqual(
            len(self.assignment_notifications(conversation)),
            2,
            "a new burst, a new notification",
        )

    def test_notifications_are_a_per_user_setting(self):
        self.rep.with_user(self.rep).write({"sms_notify_replies": False})
        conversation = self.receive_sms("Question").conversation_id
        self.assertTrue(self.reply_activities(conversation), "the to-do is still there")
        self.assertFalse(self.assignment_notifications(conversation))

    def test_kanban_shows_every_inbox_column(self):
        groups = self.env["sms.conversation"].read_group(
            [], ["inbox_state"], ["inbox_state"]
        )
        self.assertEqual(
            [group["inbox_state"] for group in groups],
            ["needs_reply", "waiting", "done"],
        )


@tagged("post_install", "-at_install")
class TestHandoffRoundRobin(SmsTwoWayHttpCase):
    """Contact's salesperson first, then the handoff user, then the team's members in turn."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.members = cls.env["res.users"]
        for name in ("Ann", "Ben", "Cat"):
            cls.members |= cls.env["res.users"].create(
                {
                    "name": name,
                    "login": f"rr_{name.lower()}",
                    "email": f"{name.lower()}@example.com",
                }
            )
        cls.leader = cls.env["res.users"].create(
            {"name": "Lea", "login": "rr_lea", "email": "lea@example.com"}
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "SMS desk",
                "user_id": cls.leader.id,
                "member_ids": [Command.set(cls.members.ids)],
            }
        )
        cls.company.sms_handoff_team_id = cls.team

    def assignee_of(self, number):
        return self.receive_sms(
            "A question nobody automated", sender=number
        ).conversation_id.user_id

    def test_members_take_turns_and_the_pointer_persists(self):
        numbers = [f"+3247000010{index}" for index in range(5)]
        assignees = [self.assignee_of(number) for number in numbers[:4]]
        self.assertEqual(assignees, [*self.members, self.members[0]])
        self.assertEqual(self.company.sms_handoff_last_user_id, self.members[0])
        self.members[1].active = False  # Ben left: Cat is next
        self.assertEqual(self.assignee_of(numbers[4]), self.members[2])

    def test_salesperson_then_handoff_user_come_first(self):
        self.partner.user_id = self.leader
        self.assertEqual(self.assignee_of(self.partner_number), self.leader)
        desk = self.env["res.users"].create(
            {"name": "Desk", "login": "rr_desk", "email": "desk@example.com"}
        )
        self.company.sms_handoff_user_id = desk
        self.assertEqual(self.assignee_of("+32470000200"), desk)
        self.assertFalse(self.company.sms_handoff_last_user_id, "the team was not used")
