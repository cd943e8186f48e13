from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SmsTwoWayCase


@tagged("post_install", "-at_install")
class TestAccess(SmsTwoWayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.gateway_b = cls.env["sms.gateway"].create(
            {
                "name": "B simulator",
                "provider": "simulator",
                "company_id": cls.company_b.id,
            }
        )
        cls.conversation_a = cls.env["sms.conversation"]._get_or_create(
            cls.gateway, "+32470123456"
        )
        cls.conversation_b = cls.env["sms.conversation"]._get_or_create(
            cls.gateway_b, "+32470999999"
        )
        cls.plain_user = new_test_user(
            cls.env, "no_sms", groups="base.group_user", company_id=cls.company.id
        )

    def test_user_of_company_a_cannot_read_company_b(self):
        Conversation = self.env["sms.conversation"].with_user(self.sms_user)
        visible = Conversation.search([])
        self.assertIn(self.conversation_a, visible)
        self.assertNotIn(self.conversation_b, visible)
        with self.assertRaises(AccessError):
            self.conversation_b.with_user(self.sms_user).read(["number"])
        Message = self.env["sms.conversation.message"].with_user(self.sms_user)
        self.assertFalse(Message.search([("gateway_id", "=", self.gateway_b.id)]))

    def test_auth_token_readable_by_administrators_only(self):
        gateway = self.gateway.with_user(self.sms_user)
        self.assertEqual(gateway.name, "Twilio test")
        with self.assertRaises(AccessError):
            gateway.read(["twilio_auth_token"])
        with self.assertRaises(AccessError):
            gateway.read(["webhook_token"])
        self.assertEqual(
            self.gateway.with_user(self.env.ref("base.user_admin")).twilio_auth_token,
            self.fake_twilio.auth_token,
        )

    def test_only_administrators_rotate_webhook_urls(self):
        token = self.gateway.sudo().webhook_token
        with self.assertRaises(AccessError):
            self.gateway.with_user(self.sms_user).action_rotate_webhook_token()
        self.assertEqual(self.gateway.sudo().webhook_token, token)
        self.gateway.with_user(
            self.env.ref("base.user_admin")
        ).action_rotate_webhook_token()
        self.assertNotEqual(self.gateway.sudo().webhook_token, token)

    def test_users_without_sms_group_see_nothing(self):
        with self.assertRaises(AccessError):
            self.env["sms.conversation"].with_user(self.plain_user).search([])

    def test_rep_cannot_read_conversation_of_other_company_contact(self):
        partner_b = self.env["res.partner"].create(
            {"name": "B customer", "company_id": self.company_b.id}
        )
        self.conversation_a.partner_id = partner_b
        self.assertNotIn(
            self.conversation_a,
            self.env["sms.conversation"].with_user(self.sms_user).search([]),
        )

    def test_consent_ledger_is_read_only_for_users(self):
        entry = self.env["sms.consent"]._record_opt_out("+32470123456", "manual")
        with self.assertRaises(AccessError):
            entry.with_user(self.sms_user).write({"direction": "opt_in"})
        with self.assertRaises(AccessError):
            entry.with_user(self.sms_user).unlink()
