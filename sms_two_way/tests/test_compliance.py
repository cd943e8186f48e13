from odoo.tests import tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install")
class TestCompliance(SmsTwoWayHttpCase):
    def setUp(self):
        super().setUp()
        self.gateway.provider_handles_opt_out = (
            False  # Odoo answers STOP/START/HELP itself
        )
        self.company.sms_program_name = "Acme Alerts"

    def sent_bodies(self):
        return [form["Body"] for form in self.fake_twilio.message_requests()]

    def test_every_opt_out_keyword_opts_out_with_one_confirmation(self):
        for index, word in enumerate(
            [
                "STOP",
                " stop! ",
                "StopAll",
                "UNSUBSCRIBE",
                "Cancel",
                "end",
                "QUIT",
                "revoke",
                "OPTOUT",
            ]
        ):
            with self.subTest(word=word):
                number = f"+3247011{index:04d}"
                self.fake_twilio.requests.clear()
                message = self.receive_sms(word, sender=number)
                consent = self.env["sms.consent"].search([("number", "=", number)])
                self.assertEqual(consent.direction, "opt_out")
                self.assertEqual(consent.source, "keyword")
                self.assertEqual(consent.text, word, "the exact inbound text is kept")
                self.assertEqual(consent.message_id, message)
                self.assertTrue(
                    self.env["phone.blacklist"].search([("number", "=", number)])
                )
                [confirmation] = self.sent_bodies()
                self.assertIn("Acme Alerts", confirmation)
                self.assertIn("unsubscribed", confirmation)
                self.assertFalse(message.conversation_id.needs_reply)

    def test_nothing_is_sent_after_stop(self):
        self.receive_sms("STOP")
        self.fake_twilio.requests.clear()
        self.partner._message_sms("Big sale today!")
        self.assertFalse(
            self.fake_twilio.message_requests(), "refused before reaching the provider"
        )
        sms = self.env["sms.sms"].search([("body", "=", "Big sale today!")])
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.failure_type, "sms_optout")
        # A second STOP is recorded but not confirmed again.
        self.receive_sms("stop")
        self.assertFalse(self.fake_twilio.message_requests())
        self.assertEqual(
            len(self.env["sms.consent"].search([("number", "=", self.partner_number)])),
            2,
        )

    def test_start_and_unstop_opt_back_in(self):
        for word in ("START", "unstop"):
            with self.subTest(word=word):
                self.receive_sms("STOP")
                self.fake_twilio.requests.clear()
                self.receive_sms(word)
                self.assertFalse(
                    self.env["phone.blacklist"].search(
                        [("number", "=", self.partner_number)]
                    )
                )
                last = self.env["sms.consent"].search(
                    [("number", "=", self.partner_number)], limit=1
                )
                self.assertEqual((last.direction, last.text), ("opt_in", word))
                [confirmation] = self.sent_bodies()
                self.assertIn("subscribed again", confirmation)

    def test_yes_opts_in_when_no_question_expects_it(self):
        self.receive_sms("STOP")
        self.receive_sms("Yes")
        self.assertEqual(
            self.env["sms.consent"].search([], limit=1).direction, "opt_in"
        )

    def test_help_and_info(self):
        for word in ("HELP", "info"):
            with self.subTest(word=word):
                self.fake_twilio.requests.clear()
                self.receive_sms(word)
                [answer] = self.sent_bodies()
                self.assertIn("Acme Alerts", answer)
                self.assertIn("Msg & data rates may apply", answer)
                self.assertIn("STOP", answer)

    def test_provider_answering_opt_out_means_odoo_stays_silent(self):
        self.gateway.provider_handles_opt_out = True
        self.receive_sms("STOP")
        self.receive_sms("HELP")
        self.assertFalse(self.fake_twilio.message_requests())
        self.assertEqual(self.env["sms.consent"].search([]).direction, "opt_out")

    def test_provider_default_per_provider(self):
        self.assertTrue(
            self.env["sms.gateway"].new({"provider": "twilio"}).provider_handles_opt_out
        )
        self.assertFalse(self.simulator.provider_handles_opt_out)

    def test_cancel_inside_a_sentence_is_not_an_opt_out(self):
        message = self.receive_sms("Please cancel my order")
        self.assertFalse(self.env["sms.consent"].search([]))
        self.assertTrue(message.conversation_id.needs_reply)

    def test_consent_ledger_and_opt_out_text_customizable(self):
        self.company.sms_opt_out_body = "Bye from {program}."
        self.receive_sms("STOP")
        self.assertEqual(self.sent_bodies(), ["Bye from Acme Alerts."])
