from odoo.tests import BaseCase, new_test_user, tagged

from ..models.sms_campaign import render_placeholders
from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install")
class TestCampaignJoin(SmsTwoWayHttpCase):
    """Joining a campaign by texting its keyword, through signed webhooks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            "campaign_sales",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.tag = cls.env["crm.tag"].create({"name": "SMS fitness"})
        cls.campaign = cls.env["sms.campaign"].create(
            {
                "name": "FitClub",
                "join_keywords": "JOIN FIT, FIT",
                "gateway_id": cls.gateway.id,
                "user_id": cls.salesman.id,
                "tag_ids": [(6, 0, cls.tag.ids)],
            }
        )

    def sent_bodies(self):
        return [form["Body"] for form in self.fake_twilio.message_requests()]

    def subscriber(self, number=None):
        return self.env["sms.campaign.subscriber"].search(
            [
                ("campaign_id", "=", self.campaign.id),
                ("number", "=", number or self.partner_number),
            ]
        )

    def consents(self, number=None):
        return self.env["sms.consent"].search(
            [("number", "=", number or self.partner_number)], order="id"
        )

    def test_join_without_double_opt_in(self):
        message = self.receive_sms("join fit")
        subscriber = self.subscriber()
        self.assertEqual(subscriber.state, "confirmed")
        self.assertEqual(subscriber.partner_id, self.partner)
        self.assertEqual(subscriber.join_text, "join fit")
        [consent] = self.consents()
        self.assertEqual(
            (
                consent.direction,
                consent.source,
                consent.text,
                consent.campaign_id,
                consent.message_id,
            ),
            ("opt_in", "campaign", "join fit", self.campaign, message),
        )
        self.assertFalse(consent.campaign_pending)
        lead = subscriber.lead_id
        self.assertEqual(
            (lead.partner_id, lead.sms_campaign_id, lead.user_id, lead.tag_ids),
            (self.partner, self.campaign, self.salesman, self.tag),
        )
        self.assertEqual(lead.sms_conversation_id, message.conversation_id)
        [welcome] = self.sent_bodies()
        self.assertIn("Welcome to FitClub, Alice!", welcome)
        self.assertIn("Msg & data rates may apply", welcome)
        self.assertIn("STOP", welcome)
        self.assertFalse(message.conversation_id.needs_reply)

    def test_unknown_number_gets_a_contact(self):
        self.receive_sms("FIT", sender="+32470999888")
        subscriber = self.subscriber("+32470999888")
        self.assertEqual(subscriber.state, "confirmed")
        self.assertTrue(subscriber.partner_id)
        self.assertEqual(subscriber.partner_id.mobile, "+32470999888")
        self.assertEqual(subscriber.lead_id.partner_id, subscriber.partner_id)

    def test_join_with_double_opt_in(self):
        self.campaign.double_opt_in = True
        self.receive_sms("JOIN FIT")
        subscriber = self.subscriber()
        self.assertEqual(subscriber.state, "pending")
        [pending] = self.consents()
        self.assertTrue(pending.campaign_pending)
        self.assertEqual(pending.text, "JOIN FIT")
        [question] = self.sent_bodies()
        self.assertIn("Reply Y to confirm", question)
        self.assertIn("Msg & data rates may apply", question)
        self.receive_sms("Y")
        self.assertEqual(subscriber.state, "confirmed")
        self.assertTrue(subscriber.confirm_date)
        first, confirmation = self.consents()
        self.assertEqual(
            (confirmation.direction, confirmation.text, confirmation.campaign_pending),
            ("opt_in", "Y", False),
        )
        self.assertIn("Welcome to FitClub", self.sent_bodies()[-1])

    def test_unconfirmed_subscriber_gets_no_welcome(self):
        self.campaign.double_opt_in = True
        self.receive_sms("JOIN FIT")
        self.receive_sms("what is this")
        self.assertEqual(self.subscriber().state, "pending")
        self.assertFalse([body for body in self.sent_bodies() if "Welcome" in body])

    def test_qualification_flow_to_lead(self):
        function_field = self.env["ir.model.fields"]._get("crm.lead", "function")
        self.campaign.question_ids = [
            (0, 0, {"sequence": 1, "question": "What is your goal?"}),
            (
                0,
                0,
                {
                    "sequence": 2,
                    "question": "What do you do?",
                    "lead_field_id": function_field.id,
                },
            ),
        ]
        self.receive_sms("FIT")
        self.assertEqual(self.sent_bodies()[-1], "What is your goal?")
        subscriber = self.subscriber()
        self.assertEqual(subscriber.flow_state, "running")
        self.receive_sms("Run a <b>marathon</b>")
        self.assertEqual(self.sent_bodies()[-1], "What do you do?")
        self.receive_sms("Yes")  # an answer, not a compliance YES
        lead = subscriber.lead_id
        self.assertEqual(subscriber.flow_state, "done")
        self.assertIn(
            "What is your goal?\n→ Run a <b>marathon</b>", lead.sms_campaign_answers
        )
        self.assertIn("What do you do?\n→ Yes", lead.sms_campaign_answers)
        self.assertEqual(lead.function, "Yes")
        self.assertIn("Thanks Alice!", self.sent_bodies()[-1])
        activity = lead.activity_ids
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn(
            "&lt;b&gt;marathon", str(activity.note), "inbound text is escaped"
        )

    def test_question_outside_the_flow_is_handed_off(self):
        self.campaign.question_ids = [
            (0, 0, {"sequence": 1, "question": "What is your goal?"}),
            (0, 0, {"sequence": 2, "question": "What do you do?"}),
        ]
        self.receive_sms("FIT")
        message = self.receive_sms("How much does it cost?")
        subscriber = self.subscriber()
        self.assertEqual(subscriber.question_index, 0)
        self.assertTrue(message.conversation_id.needs_reply)
        self.assertEqual(message.conversation_id.user_id, self.salesman)
        self.assertEqual(subscriber.lead_id.activity_ids.user_id, self.salesman)
        self.receive_sms("Lose weight")
        self.assertEqual(subscriber.question_index, 1, "the question stayed open")

    def test_rejoin_when_already_subscribed(self):
        self.receive_sms("JOIN FIT")
        self.receive_sms("join fit")
        self.assertIn("already subscribed", self.sent_bodies()[-1])
        self.assertEqual(len(self.subscriber()), 1)
        self.assertEqual(len(self.consents()), 1, "no new consent for a re-join")
        self.assertEqual(
            self.env["crm.lead"].search_count(
                [("sms_campaign_id", "=", self.campaign.id)]
            ),
            1,
        )

    def test_opt_out_then_rejoin(self):
        self.receive_sms("JOIN FIT")
        subscriber = self.subscriber()
        self.receive_sms("STOP")
        self.assertEqual(subscriber.state, "opted_out")
        self.assertTrue(self.env["sms.consent"]._is_opted_out(self.partner_number))
        self.receive_sms("JOIN FIT")
        self.assertEqual(subscriber.state, "confirmed")
        self.assertTrue(subscriber.rejoined)
        self.assertFalse(self.env["sms.consent"]._is_opted_out(self.partner_number))
        directions = [(c.direction, c.source, c.campaign_id) for c in self.consents()]
        self.assertEqual(
            directions,
            [
                ("opt_in", "campaign", self.campaign),
                ("opt_out", "keyword", self.env["sms.campaign"]),
                ("opt_in", "campaign", self.campaign),
            ],
        )
        self.assertIn("Welcome to FitClub", self.sent_bodies()[-1])

    def test_keyword_rule_follows_the_campaign(self):
        rule = self.campaign.keyword_id
        self.assertEqual(
            (rule.keyword, rule.aliases, rule.action, rule.scope),
            ("JOIN FIT", "FIT", "campaign_join", "any"),
        )
        self.campaign.join_keywords = "GO FIT, GYM"
        self.assertEqual((rule.keyword, rule.aliases), ("GO FIT", "GYM"))
        self.campaign.active = False
        self.assertFalse(rule.active)
        self.receive_sms("GYM")
        self.assertFalse(self.subscriber())

    def test_campaign_outside_its_dates_does_not_subscribe(self):
        self.campaign.date_end = "2000-01-01"
        self.campaign.date_start = "1999-01-01"
        message = self.receive_sms("FIT")
        self.assertFalse(self.subscriber())
        self.assertTrue(message.conversation_id.needs_reply)

    def test_preview_counts_segments(self):
        self.campaign.welcome_message = "Bienvenue 🎉"
        self.assertIn("UCS-2", self.campaign.preview_html)
        self.assertIn("Bienvenue", self.campaign.preview_html)
        self.assertIn("GSM-7", self.campaign.preview_html)


@tagged("post_install", "-at_install")
class TestCampaignPlaceholders(BaseCase):
    def test_missing_name_leaves_no_dangling_punctuation(self):
        self.assertEqual(
            render_placeholders("Welcome to {campaign}, {first_name}!", "", "Fit"),
            "Welcome to Fit!",
        )
        self.assertEqual(
            render_placeholders("Thanks {first_name}! Bye", "", "Fit"), "Thanks! Bye"
        )
        self.assertEqual(
            render_placeholders(
                "Welcome to {campaign}, {first_name}!", "Ada Lovelace", "Fit"
            ),
            "Welcome to Fit, Ada!",
        )
        self.assertEqual(
            render_placeholders("Stray {brace and {name}", "Ada"),
            "Stray {brace and Ada",
        )
