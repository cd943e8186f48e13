from unittest.mock import patch

from odoo.tests import tagged

from ..models.sms_provider_twilio import SmsProviderTwilio
from .common import SmsTwoWayCase


@tagged("post_install", "-at_install")
class TestPipelineCost(SmsTwoWayCase):
    """What the pipeline costs in SQL queries: sending is paid per batch, not per SMS.

    Query counts, never timings: they hold on any machine.  Each count starts
    from an empty cache, as after the commit that precedes every batch.
    """

    def queue(self, count, prefix, **vals):
        return (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {"number": f"{prefix}{index:04}", "body": f"Cost {index}", **vals}
                    for index in range(count)
                ]
            )
        )

    def queries_to_send(self, sms):
        """Queries spent by the SMS queue cron to send ``sms`` (one gateway batch)."""
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["sms.sms"].sudo()._process_queue()
        self.env.flush_all()
        spent = self.env.cr.sql_log_count - before
        self.assertEqual(set(sms.mapped("state")), {"pending"}, "all were sent")
        return spent

    def test_sending_to_known_numbers_costs_the_same_for_10_or_50_sms(self):
        for count, prefix in ((10, "+3247110"), (50, "+3247150")):
            self.queries_to_send(
                self.queue(count, prefix)
            )  # first texts: conversations created
        small = self.queries_to_send(self.queue(10, "+3247110"))
        large = self.queries_to_send(self.queue(50, "+3247150"))
        self.assertLessEqual(large, small + 2, "40 more SMS cost (almost) nothing more")
        self.assertLessEqual(small, 30)

    def test_first_texts_cost_at_most_a_contact_match_per_new_number(self):
        self.queries_to_send(self.queue(3, "+3247130"))  # warm-up
        small = self.queries_to_send(self.queue(10, "+3247110"))
        large = self.queries_to_send(self.queue(50, "+3247150"))
        # Conversations are found and created per batch; only matching the new number to a
        # contact (an indexed lookup) is paid per new number (40 more), give or take a
        # cache refilled between the two runs (as for known numbers above).
        self.assertLessEqual(large - small, 40 + 2)

    def test_first_texts_to_contacts_cost_the_same_for_10_or_50_sms(self):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Contact {index}", "mobile": f"+3247160{index:04}"}
                for index in range(60)
            ]
        )

        def queue_to(partners):
            return (
                self.env["sms.sms"]
                .sudo()
                .create(
                    [
                        {
                            "number": partner.mobile,
                            "partner_id": partner.id,
                            "body": "Hi",
                        }
                        for partner in partners
                    ]
                )
            )

        self.queries_to_send(queue_to(self.partner))  # warm-up
        small = self.queries_to_send(queue_to(partners[:10]))
        large = self.queries_to_send(queue_to(partners[10:]))
        self.assertLessEqual(large, small + 2)

    def test_refusing_opted_out_numbers_costs_the_same_for_10_or_50_sms(self):
        numbers = [f"+3247170{index:04}" for index in range(60)]
        self.env["phone.blacklist"].sudo()._add(numbers)

        def refuse(sms):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.env["sms.sms"].sudo()._process_queue()
            self.env.flush_all()
            self.assertEqual(set(sms.mapped("failure_type")), {"sms_optout"})
            return self.env.cr.sql_log_count - before

        refuse(self.queue(60, "+3247170"))  # first texts: conversations created
        small = refuse(self.queue(10, "+3247170"))
        large = refuse(self.queue(50, "+3247170"))
        self.assertLessEqual(large, small + 2)
        self.assertFalse(self.fake_twilio.messages)

    def test_mixed_results_of_one_batch_each_reach_their_sms_and_notification(self):
        """Results applied per state still land on the right SMS, tracker and notification."""
        partners = self.env["res.partner"].create(
            [
                {"name": f"Mixed {index}", "mobile": f"+3247180{index:04}"}
                for index in range(6)
            ]
        )
        for partner in partners:
            partner._message_sms(
                "Mixed batch", partner_ids=partner.ids, put_in_queue=True
            )
        sms = self.env["sms.sms"].sudo().search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(sms), 6)
        results = {
            "+32471800000": {"state": "accepted", "provider_sid": "SM-a"},
            "+32471800001": {"state": "accepted", "provider_sid": "SM-b"},
            "+32471800002": {
                "state": "error",
                "failure_type": "sms_number_format",
                "error_code": "21211",
                "error_message": "Invalid 'To' number",
            },
            "+32471800003": {"state": "retry", "error_message": "Provider down"},
            "+32471800004": {"state": "ambiguous", "error_message": "No answer"},
            "+32471800005": {
                "state": "error",
                "failure_type": "sms_optout",
                "error_code": "21610",
                "error_message": "Unsubscribed recipient",
            },
        }

        def answer(_provider, _gateway, messages, _pool):
            return lambda: [results[message.number] for message in messages]

        with patch.object(SmsProviderTwilio, "_start_batch", answer):
            self.env["sms.sms"].sudo()._process_queue()
        messages = (
            self.env["sms.conversation.message"]
            .sudo()
            .search([("sms_uuid", "in", sms.mapped("uuid"))])
        )
        expected = {
            "+32471800000": ("queued", "SM-a", "pending", "pending"),
            "+32471800001": ("queued", "SM-b", "pending", "pending"),
            "+32471800002": ("error", False, "error", "exception"),
            "+32471800003": ("outgoing", False, "outgoing", "ready"),
            "+32471800004": ("unknown", False, "outgoing", "ready"),
            "+32471800005": ("error", False, "error", "exception"),
        }
        for message in messages:
            notification = (
                self.env["mail.notification"]
                .sudo()
                .search([("mail_message_id", "=", message.mail_message_id.id)])
            )
            one_sms = sms.filtered(lambda s, m=message: s.uuid == m.sms_uuid)
            self.assertEqual(
                (
                    message.state,
                    message.provider_sid,
                    one_sms.state,
                    notification.notification_status,
                ),
                expected[message.number],
                message.number,
            )
        refused = messages.filtered(lambda m: m.number == "+32471800002")
        self.assertEqual(refused.failure_type, "sms_number_format")
        self.assertEqual(refused.error_message, "Invalid 'To' number")
        self.assertTrue(
            self.env["sms.consent"]._is_opted_out("+32471800005"),
            "a provider opt-out is recorded",
        )
        self.assertFalse(self.env["sms.consent"]._is_opted_out("+32471800002"))
