from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install")
class TestFaq(SmsTwoWayHttpCase):
    """Free-text questions answered from the FAQ, through signed webhooks over real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.name = "Bloom Yoga"
        cls.hours = cls.env["sms.faq"].create(
            {
                "question": "What are your opening hours?\nWhat time do you open on Sunday?\nAre you open on weekends?",
                "answer": "Hi {first_name}, {company} is open Sunday 8-14.",
            }
        )
        cls.parking = cls.env["sms.faq"].create(
            {
                "question": "Is there parking?\nWhere can I park?",
                "answer": "Free parking behind the building.",
            }
        )
        cls.env["sms.faq"].create(
            {
                "question": "How much is a membership?\nWhat are your prices?",
                "answer": "Unlimited is 99 EUR a month.",
            }
        )

    def sent_bodies(self):
        return [form["Body"] for form in self.fake_twilio.message_requests()]

    def test_confident_match_is_answered_and_needs_no_reply(self):
        message = self.receive_sms("wat time u open sunday??")
        self.assertEqual(
            self.sent_bodies(), ["Hi Alice, Bloom Yoga is open Sunday 8-14."]
        )
        self.assertFalse(message.conversation_id.needs_reply)
        self.assertEqual((message.handled_by, message.faq_id), ("faq", self.hours))
        self.assertGreaterEqual(message.faq_confidence, self.company.sms_faq_threshold)
        self.hours.invalidate_recordset()  # counted in SQL by the webhook request
        self.assertEqual(self.hours.answer_count, 1)
        answer = self.find_messages(
            direction="outbound", conversation_id=message.conversation_id.id
        )
        self.assertTrue(answer.is_auto_reply)

    def test_unrelated_question_is_handed_off(self):
        message = self.receive_sms("Can I bring my dog and my cat to the sauna?")
        self.assertTrue(message.conversation_id.needs_reply)
        self.assertEqual(message.handled_by, "handoff")
        self.assertEqual(self.sent_bodies(), [self.company.sms_handoff_ack_body])
        self.assertFalse(message.faq_id)

    def test_threshold_is_a_company_setting(self):
        text = "any parking near you?"
        confidence = self.env["sms.faq"]._match(text, self.company)[1].confidence
        self.assertTrue(0.5 < confidence < 0.9, confidence)
        self.company.sms_faq_threshold = 0.9
        message = self.receive_sms(text)
        self.assertEqual(message.handled_by, "handoff")
        self.company.sms_faq_threshold = 0.5
        message = self.receive_sms(text)
        self.assertEqual(message.handled_by, "faq")

    def test_asking_for_a_person_hands_off_and_counts_against_the_last_answer(self):
        first = self.receive_sms("is there parking")
        self.assertEqual(first.handled_by, "faq")
        second = self.receive_sms("parking?? no, let me talk to a real person")
        self.assertEqual(second.handled_by, "handoff")
        self.assertTrue(second.conversation_id.needs_reply)
        self.parking.invalidate_recordset()  # counted in SQL by the webhook requests
        self.assertEqual(
            (self.parking.answer_count, self.parking.person_request_count), (1, 1)
        )
        self.receive_sms("AGENT")
        self.parking.invalidate_recordset()
        self.assertEqual(
            self.parking.person_request_count, 1, "only right after an FAQ answer"
        )

    def test_compliance_words_and_automated_text_never_get_an_faq_answer(self):
        self.env["sms.faq"].create(
            {"question": "stop\nhelp", "answer": "FAQ must not answer this"}
        )
        self.gateway.provider_handles_opt_out = False
        help_message = self.receive_sms("HELP")
        self.assertEqual(help_message.handled_by, "compliance")
        robot = self.receive_sms(
            "Auto-reply: I am out of the office. What are your opening hours?",
            sender="+32470999888",
        )
        self.assertEqual(robot.handled_by, "ignored")
        stop = self.receive_sms("STOP")
        self.assertEqual(stop.handled_by, "compliance")
        self.assertNotIn("FAQ must not answer this", " ".join(self.sent_bodies()))

    def test_keyword_rules_win_over_the_faq(self):
        self.env["sms.keyword"].create(
            {
                "name": "Parking",
                "keyword": "parking",
                "action": "reply",
                "reply_body": "Rule answer",
            }
        )
        message = self.receive_sms("Parking")
        self.assertEqual(message.handled_by, "keyword")
        self.assertEqual(self.sent_bodies(), ["Rule answer"])

    def test_hourly_cap_hands_off(self):
        self.company.sms_auto_reply_limit = 1
        self.assertEqual(self.receive_sms("is there parking").handled_by, "faq")
        message = self.receive_sms("what time do you open on sunday")
        self.assertEqual(
            message.handled_by,
            "handoff",
            "the answer could not be sent: a person answers",
        )
        self.assertTrue(message.conversation_id.needs_reply)

    def test_contact_language_picks_the_entry(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        french = self.env["sms.faq"].create(
            {
                "question": "Vous êtes ouverts le dimanche ?\nQuels sont vos horaires ?",
                "lang": "fr_FR",
                "answer": "Ouvert le dimanche de 8h à 14h.",
            }
        )
        self.partner.lang = "fr_FR"
        message = self.receive_sms("vous etes ouvert dimanche?")
        self.assertEqual(message.faq_id, french)
        self.assertEqual(self.sent_bodies(), ["Ouvert le dimanche de 8h à 14h."])

    def test_edits_and_archiving_rebuild_the_matcher(self):
        self.assertEqual(self.receive_sms("wifi password?").handled_by, "handoff")
        self.parking.question += "\nWhat is the wifi password?"
        self.assertEqual(self.receive_sms("wifi password?").faq_id, self.parking)
        self.parking.active = False
        self.assertEqual(self.receive_sms("is there parking").handled_by, "handoff")

    def test_answer_words_support_the_match_and_edits_rebuild_it(self):
        """Editing an answer rebuilds the matcher: its words back up a question's."""
        text = "is there parking for bikes"
        before = self.env["sms.faq"]._match(text, self.company)[1].confidence
        self.parking.answer = "Free parking behind the building, bikes by the door."
        entry, found = self.env["sms.faq"]._match(text, self.company)
        self.assertEqual(entry, self.parking)
        self.assertGreater(found.confidence, before)

    def test_entries_of_another_company_are_not_used(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.env["sms.faq"].create(
            {
                "question": "Do you sell gift cards?",
                "answer": "Other Co gift cards",
                "company_id": other.id,
            }
        )
        message = self.receive_sms("do u sell gift cards")
        self.assertEqual(message.handled_by, "handoff")

    def test_users_read_managers_edit_and_companies_are_separate(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        hidden = self.env["sms.faq"].create(
            {"question": "Secret?", "answer": "x", "company_id": other.id}
        )
        faq_as_user = self.env["sms.faq"].with_user(self.sms_user)
        self.assertIn(self.hours, faq_as_user.search([]))
        self.assertNotIn(hidden, faq_as_user.search([]))
        with self.assertRaises(AccessError):
            self.hours.with_user(self.sms_user).answer = "changed"
        manager = new_test_user(
            self.env,
            "sms_faq_manager",
            groups="base.group_user,sms_two_way.group_sms_manager",
            company_id=self.company.id,
        )
        self.hours.with_user(manager).answer = "changed"
        with self.assertRaises(AccessError):
            hidden.with_user(manager).read(["answer"])

    def test_try_a_question_shows_entry_and_confidence(self):
        tester = Form(self.env["sms.faq.tester"])
        tester.text = "where cn i park"
        self.assertEqual(tester.faq_id, self.parking)
        self.assertGreater(tester.confidence, self.company.sms_faq_threshold)
        self.assertIn("answered automatically", tester.result)
        tester.text = "can i talk to someone"
        self.assertFalse(tester.faq_id)
        self.assertIn("Asks for a person", tester.result)
