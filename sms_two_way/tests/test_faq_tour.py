from odoo.tests import tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install", "is_tour")
class TestFaqTour(SmsTwoWayHttpCase):
    def test_try_a_question_and_automation_rate(self):
        """The FAQ list, its "Try a question" box and the automation-rate pivot, in a real browser."""
        self.env["sms.faq"].create(
            {
                "question": "What are your opening hours?\nWhat time do you open on Sunday?",
                "answer": "Open Sunday 8-14.",
            }
        )
        self.assertEqual(
            self.receive_sms("what time do you open on sunday").handled_by, "faq"
        )
        self.start_tour(
            "/odoo/action-sms_two_way.sms_faq_action", "sms_faq_tour", login="admin"
        )
