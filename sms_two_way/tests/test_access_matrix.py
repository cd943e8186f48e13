"""Who may do what: every model and button of sms_two_way, for every role, in two companies.

One table per concern, read as "role: allowed operations"; anything not listed
is asserted refused.  ``r w c u`` are read, write, create, unlink.
"""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SmsTwoWayCase, role_users

# Model-level rights (ir.model.access) per role.
MODEL_RIGHTS = {
    "sms.gateway": {"admin": "rwcu", "manager": "rwcu", "user": "r", "marketer": "r"},
    "sms.conversation": {
        "admin": "rwcu",
        "manager": "rwcu",
        "user": "rwc",
        "marketer": "rwc",
    },
    "sms.conversation.message": {
        "admin": "ru",
        "manager": "ru",
        "user": "r",
        "marketer": "r",
    },
    "sms.consent": {"admin": "r", "manager": "r", "user": "r", "marketer": "r"},
    "sms.keyword": {"admin": "rwcu", "manager": "rwcu", "user": "r", "marketer": "r"},
    "sms.prompt": {"admin": "rwu", "manager": "rwu", "user": "r", "marketer": "r"},
    "sms.quiet.profile": {
        "admin": "rwcu",
        "manager": "rwcu",
        "user": "r",
        "marketer": "r",
    },
    "sms.keyword.tester": {
        "admin": "rwc",
        "manager": "rwc",
        "user": "rwc",
        "marketer": "rwc",
    },
    "sms.faq": {"admin": "rwcu", "manager": "rwcu", "user": "r", "marketer": "r"},
    "sms.faq.tester": {
        "admin": "rwc",
        "manager": "rwc",
        "user": "rwc",
        "marketer": "rwc",
    },
    "sms.reply.report": {"admin": "r", "manager": "r"},
    "sms.campaign": {"admin": "rwcu", "marketer": "rwcu"},
    "sms.campaign.question": {"admin": "rwcu", "marketer": "rwcu"},
    "sms.campaign.subscriber": {"admin": "r", "marketer": "r"},
    "sms.campaign.broadcast": {"admin": "rwcu", "marketer": "rwcu"},
    "sms.campaign.broadcast.recipient": {"admin": "r", "marketer": "r"},
    "sms.campaign.report": {"admin": "r", "marketer": "r"},
}

# Records of company B a role of company A must never see (model -> roles that may read the model at all).
COMPANY_B_MODELS = [
    "sms.gateway",
    "sms.conversation",
    "sms.conversation.message",
    "sms.keyword",
    "sms.prompt",
    "sms.quiet.profile",
    "sms.faq",
    "sms.campaign",
    "sms.campaign.question",
    "sms.campaign.broadcast",
]

# Buttons and writes with an effect: roles allowed.  Every other role gets AccessError.
# Buttons that only open a view are left out.
BUTTONS = {
    "gateway.action_test_connection": {"admin", "manager"},
    "gateway.action_rotate_webhook_token": {"admin"},
    "conversation.action_send_reply": {"admin", "manager", "user", "marketer"},
    "conversation.action_mark_done": {"admin", "manager", "user", "marketer"},
    "conversation.action_create_lead": {"admin", "marketer"},
    "partner.action_open_sms_conversation": {"admin", "manager", "user", "marketer"},
    "keyword.write_shared_rule": {"admin"},
    "keyword.write_company_rule": {"admin", "manager"},
    "campaign.write_name": {"admin", "marketer"},
    "broadcast.action_cancel": {"admin", "marketer"},
}


@tagged("post_install", "-at_install")
class TestAccessMatrix(SmsTwoWayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create(
            {"name": "Matrix B", "country_id": cls.env.ref("base.be").id}
        )
        cls.users = role_users(cls.env, "matrix", cls.company)
        cls.conversation = cls.env["sms.conversation"]._get_or_create(
            cls.gateway, cls.partner_number, cls.partner
        )
        cls.campaign = cls.env["sms.campaign"].create(
            {"name": "Matrix", "join_keywords": "MATRIX", "gateway_id": cls.gateway.id}
        )
        cls.broadcast = cls.env["sms.campaign.broadcast"].create(
            {"name": "Matrix news", "campaign_id": cls.campaign.id, "body": "Hi"}
        )
        cls.shared_rule = cls.env["sms.keyword"].create(
            {"name": "Shared", "keyword": "SH", "company_id": False}
        )
        cls.company_rule = cls.env["sms.keyword"].create(
            {"name": "Own", "keyword": "OWN"}
        )
        cls.records_b = cls._create_company_b_records()

    @classmethod
    def _create_company_b_records(cls):
        gateway = cls.env["sms.gateway"].create(
            {"name": "B sim", "provider": "simulator", "company_id": cls.company_b.id}
        )
        message = gateway._receive_inbound(
            {
                "provider_sid": "SIM" + "b" * 32,
                "from_number": "+32470999001",
                "to_number": "",
                "body": "B only",
                "media": [],
            }
        )
        conversation = message.conversation_id
        campaign = cls.env["sms.campaign"].create(
            {
                "name": "B campaign",
                "join_keywords": "BJOIN",
                "company_id": cls.company_b.id,
                "gateway_id": gateway.id,
                "question_ids": [
                    (0, 0, {"question": "B?"}),
                    (0, 0, {"question": "B again?"}),
                ],
            }
        )
        return {
            "sms.gateway": gateway,
            "sms.conversation": conversation,
            "sms.conversation.message": message,
            "sms.keyword": cls.env["sms.keyword"].create(
                {"name": "B", "keyword": "BB", "company_id": cls.company_b.id}
            ),
            "sms.prompt": cls.env["sms.prompt"]._open(
                conversation, conversation, "yes_no", "B question"
            ),
            "sms.quiet.profile": cls.env["sms.quiet.profile"].create(
                {
                    "name": "B",
                    "country_id": cls.env.ref("base.us").id,
                    "company_id": cls.company_b.id,
                }
            ),
            "sms.faq": cls.env["sms.faq"].create(
                {
                    "question": "B opening hours?",
                    "answer": "B answer",
                    "company_id": cls.company_b.id,
                }
            ),
            "sms.campaign": campaign,
            "sms.campaign.question": campaign.question_ids[0],
            "sms.campaign.broadcast": cls.env["sms.campaign.broadcast"].create(
                {"name": "B news", "campaign_id": campaign.id, "body": "B news"}
            ),
        }

    def test_model_rights(self):
        for model, rights in MODEL_RIGHTS.items():
            self.assert_model_rights(model, rights, self.users)

    def test_company_a_roles_never_see_company_b(self):
        for model in COMPANY_B_MODELS:
            record = self.records_b[model]
            for role, user in self.users.items():
                with self.subTest(model=model, role=role):
                    Model = self.env[model].with_user(user)
                    if not Model.has_access("read"):
                        continue
                    self.assertFalse(Model.search([("id", "=", record.id)]))
                    with self.assertRaises(AccessError):
                        record.with_user(user).read([record._rec_name or "id"])

    def _press(self, button, user):
        name, method = button.split(".")
        if name == "keyword":
            rule = (
                self.shared_rule if method == "write_shared_rule" else self.company_rule
            )
            return rule.with_user(user).write({"reply_body": "Changed"})
        if method == "write_name":
            return self.campaign.with_user(user).write({"name": "Renamed"})
        record = {
            "gateway": self.simulator,
            "conversation": self.conversation,
            "partner": self.partner,
            "campaign": self.campaign,
            "broadcast": self.broadcast,
        }[name].with_user(user)
        if method == "action_send_reply":
            self.conversation.reply_body = "Matrix reply"
        return getattr(record, method)()

    def test_buttons(self):
        for button, allowed in BUTTONS.items():
            for role, user in self.users.items():
                with self.subTest(button=button, role=role):
                    if role in allowed:
                        with self.env.cr.savepoint():
                            self._press(button, user)
                    else:
                        with self.env.cr.savepoint(), self.assertRaises(AccessError):
                            self._press(button, user)
