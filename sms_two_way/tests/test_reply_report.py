from odoo.tests import tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install")
class TestReplyReport(SmsTwoWayHttpCase):
    """The automation-rate report counts inbound messages by how they were handled."""

    def test_messages_by_handling_and_automation_rate(self):
        self.env["sms.faq"].create(
            {"question": "Is there parking?", "answer": "Behind the building."}
        )
        self.env["sms.keyword"].create(
            {
                "name": "Hours",
                "keyword": "HOURS",
                "action": "reply",
                "reply_body": "9-17",
            }
        )
        self.receive_sms("is there parking")
        self.receive_sms("hours")
        self.receive_sms("HELP")
        self.receive_sms("Can I bring my dog and my cat to the sauna?")
        self.receive_sms(
            "Auto-reply: I am out of the office until Monday", sender="+32470999888"
        )
        self.env.flush_all()
        Report = self.env["sms.reply.report"]
        counts = {
            group["handled_by"]: group["message_count"]
            for group in Report.read_group([], ["message_count:sum"], ["handled_by"])
        }
        self.assertEqual(
            counts,
            {"faq": 1, "keyword": 1, "compliance": 1, "handoff": 1, "ignored": 1},
        )
        [by_gateway] = Report.read_group(
            [],
            [
                "message_count:sum",
                "automated_count:sum",
                "handoff_count:sum",
                "automation_rate:avg",
            ],
            ["gateway_id"],
        )
        self.assertEqual(by_gateway["gateway_id"][0], self.gateway.id)
        self.assertEqual(
            (
                by_gateway["message_count"],
                by_gateway["automated_count"],
                by_gateway["handoff_count"],
            ),
            (5, 3, 1),
        )
        self.assertAlmostEqual(
            by_gateway["automation_rate"],
            75.0,
            msg="3 of 4 customer messages; robots left out",
        )
        [by_day] = Report.read_group([], ["message_count:sum"], ["date:day"])
        self.assertEqual(by_day["message_count"], 5)

    def test_campaign_and_open_question_are_recorded(self):
        self.env["sms.campaign"].create(
            {
                "name": "FitClub",
                "join_keywords": "JOIN FIT",
                "gateway_id": self.gateway.id,
            }
        )
        self.assertEqual(self.receive_sms("join fit").handled_by, "campaign")
        conversation = self.env["sms.conversation"]._get_for_recipient(
            partner=self.partner
        )
        self.env["sms.prompt"]._open(
            conversation, self.partner, "yes_no", "Delivery on Monday"
        )
        self.assertEqual(self.receive_sms("yep").handled_by, "prompt")

    def test_users_of_another_company_see_nothing(self):
        self.receive_sms("Can I bring my dog and my cat to the sauna?")
        other = self.env["res.company"].create({"name": "Other Co"})
        manager = self.env["res.users"].create(
            {
                "name": "Other manager",
                "login": "other_sms_manager",
                "company_id": other.id,
                "company_ids": [(6, 0, other.ids)],
                "groups_id": [
                    (6, 0, [self.env.ref("sms_two_way.group_sms_manager").id])
                ],
            }
        )
        self.assertFalse(self.env["sms.reply.report"].with_user(manager).search([]))
        self.assertTrue(self.env["sms.reply.report"].search([]))
