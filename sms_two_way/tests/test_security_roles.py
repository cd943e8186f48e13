"""Findings 2 to 8 and 11: roles hold, actions run as the technical user, nothing trusts the context."""

import time
import uuid

from odoo import http
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from ..models.sms_conversation_message import PROCESS_RETRY_DELAYS
from .common import SmsTwoWayCase, SmsTwoWayHttpCase


def inbound(body, number, sid=None):
    """A parsed inbound payload, as ``sms.provider._parse_inbound`` returns it."""
    return {
        "provider_sid": sid or "SM" + uuid.uuid4().hex,
        "from_number": number,
        "to_number": "",
        "body": body,
        "media": [],
    }


class SecurityFixtures:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.bot = cls.env.ref("sms_two_way.user_sms_two_way_bot")
        cls.company_b = cls.env["res.company"].create(
            {"name": "Company B", "country_id": cls.env.ref("base.be").id}
        )
        cls.gateway_b = cls.env["sms.gateway"].create(
            {
                "name": "B simulator",
                "provider": "simulator",
                "company_id": cls.company_b.id,
            }
        )
        cls.sms_manager = new_test_user(
            cls.env,
            "sec_manager",
            groups="base.group_user,sms_two_way.group_sms_manager",
            company_id=cls.company.id,
        )
        cls.manager_b = new_test_user(
            cls.env,
            "sec_manager_b",
            groups="base.group_user,sms_two_way.group_sms_manager",
            company_id=cls.company_b.id,
        )
        cls.marketer_b = new_test_user(
            cls.env,
            "sec_marketer_b",
            groups="base.group_user,sms_two_way.group_sms_marketing",
            company_id=cls.company_b.id,
        )
        cls.plain_user = new_test_user(
            cls.env, "sec_plain", groups="base.group_user", company_id=cls.company.id
        )


@tagged("post_install", "-at_install")
class TestTechnicalUser(SecurityFixtures, SmsTwoWayHttpCase):
    def test_technical_user_cannot_log_in_and_is_no_administrator(self):
        self.assertFalse(self.bot.active)
        self.assertFalse(self.bot.share)
        self.assertNotEqual(self.bot.id, 1)
        self.assertFalse(self.bot._is_system())
        self.env.cr.execute(
            "SELECT COALESCE(password, '') FROM res_users WHERE id = %s", [self.bot.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], "")
        self.assertIn(
            self.company_b,
            self.bot.company_ids,
            "a new company is served by the technical user too",
        )

    def test_webhook_runs_as_technical_user(self):
        message = self.receive_sms("Hello there")
        self.assertEqual(message.create_uid, self.bot)
        self.assertEqual(message.conversation_id.create_uid, self.bot)

    def test_server_action_runs_as_technical_user_not_superuser(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Who runs me",
                "model_id": self.env.ref("sms_two_way.model_sms_conversation").id,
                "state": "code",
                "code": "env['ir.config_parameter'].sudo().set_param("
                "'sms_two_way.test_runner', '%s/%s' % (env.uid, env.su))",
            }
        )
        self.env["sms.keyword"].create(
            {
                "name": "Run",
                "keyword": "RUN",
                "action": "server_action",
                "server_action_id": action.id,
            }
        )
        self.receive_sms("run")
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("sms_two_way.test_runner"),
            f"{self.bot.id}/False",
        )

    def test_server_action_needing_more_rights_fails_safely(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Promote me",
                "model_id": self.env.ref("sms_two_way.model_sms_conversation").id,
                "state": "code",
                "code": "env['res.users'].browse(%d).write({'name': 'Owned'})"
                % self.admin.id,
            }
        )
        self.env["sms.keyword"].create(
            {
                "name": "Own",
                "keyword": "OWN",
                "action": "server_action",
                "server_action_id": action.id,
                "reply_body": "Done",
            }
        )
        message = self.receive_sms("own")
        for _attempt in range(
            len(PROCESS_RETRY_DELAYS)
        ):  # each retry fails the same way
            message.sudo().process_next_date = False
            self.process_inbound()
        self.assertNotEqual(self.admin.name, "Owned")
        self.assertEqual(message.process_state, "error")
        self.assertIn("AccessError", message.process_error)
        self.assertTrue(message.conversation_id.needs_reply, "handed off to a person")
        bodies = [form["Body"] for form in self.fake_twilio.message_requests()]
        self.assertNotIn("Done", bodies, "no rule reply after a failed action")


@tagged("post_install", "-at_install")
class TestKeywordServerAction(SecurityFixtures, SmsTwoWayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conversation_action = cls.env["ir.actions.server"].create(
            {
                "name": "On conversation",
                "model_id": cls.env.ref("sms_two_way.model_sms_conversation").id,
                "state": "code",
                "code": "pass",
            }
        )
        cls.partner_action = cls.env["ir.actions.server"].create(
            {
                "name": "On contacts",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "state": "code",
                "code": "pass",
            }
        )
        cls.rule = cls.env["sms.keyword"].create(
            {"name": "Rule A", "keyword": "GO", "action": "reply"}
        )

    def test_manager_cannot_bind_a_server_action(self):
        rule = self.rule.with_user(self.sms_manager)
        with self.assertRaises(AccessError):
            rule.write(
                {
                    "server_action_id": self.conversation_action.id,
                    "action": "server_action",
                }
            )
        with self.assertRaises(AccessError):
            self.env["sms.keyword"].with_user(self.sms_manager).create(
                {
                    "name": "Mine",
                    "keyword": "X",
                    "action": "server_action",
                    "server_action_id": self.conversation_action.id,
                }
            )
        self.assertFalse(self.rule.server_action_id)

    def test_only_conversation_server_actions(self):
        rule = self.rule.with_user(self.admin)
        rule.write(
            {"server_action_id": self.conversation_action.id, "action": "server_action"}
        )
        with self.assertRaises(ValidationError):
            rule.write({"server_action_id": self.partner_action.id})

    def test_server_action_rule_without_action_hands_off(self):
        self.rule.with_user(self.sms_manager).write({"action": "server_action"})
        message = self.simulator._receive_inbound(inbound("go", "+32470555100"))
        self.process_inbound()
        self.assertTrue(message.conversation_id.needs_reply)


@tagged("post_install", "-at_install")
class TestSimulatorAccess(SecurityFixtures, SmsTwoWayHttpCase):
    def _post_reply(self, number, body="START"):
        return self.url_open(
            "/sms_two_way/simulator/reply",
            data={
                "gateway_id": self.simulator.id,
                "number": number,
                "body": body,
                "csrf_token": http.Request.csrf_token(self),
            },
            allow_redirects=False,
        )

    def test_sms_user_cannot_open_or_use_the_simulator(self):
        self.authenticate("sms_rep", "sms_rep")
        self.assertEqual(self.url_open("/sms_two_way/simulator").status_code, 403)
        self.assertEqual(self._post_reply("+32470555200").status_code, 403)
        self.assertFalse(self.find_messages(gateway_id=self.simulator.id))

    def test_administrator_cannot_text_as_a_real_customer(self):
        self.env["sms.consent"]._record_opt_out(
            self.partner_number, "keyword", gateway=self.gateway
        )
        self.env["sms.conversation"]._get_or_create(self.gateway, self.partner_number)
        self.authenticate("admin", "admin")
        page = self.url_open("/sms_two_way/simulator")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Test tool", page.text)
        response = self._post_reply(self.partner_number)
        self.assertEqual(response.status_code, 303)
        self.assertIn("error=", response.headers["Location"])
        self.assertFalse(self.find_messages(gateway_id=self.simulator.id))
        self.assertTrue(
            self.env["sms.consent"]._is_opted_out(self.partner_number),
            "a forged START lifted a STOP",
        )
        # A made-up number is fine.
        self._post_reply("+32470555201", body="Hello")
        self.assertEqual(
            self.find_messages(gateway_id=self.simulator.id, direction="inbound").body,
            "Hello",
        )


@tagged("post_install", "-at_install")
class TestContextCannotBypass(SecurityFixtures, SmsTwoWayCase):
    def test_rpc_context_keys_change_nothing(self):
        self.env["sms.consent"]._record_opt_out(
            self.partner_number, "keyword", gateway=self.gateway
        )
        # An internal user without any SMS group, allowed to edit contacts (so to text them from the composer).
        writer = new_test_user(
            self.env,
            "sec_writer",
            groups="base.group_user,base.group_partner_manager",
            company_id=self.company.id,
        )
        composer = (
            self.env["sms.composer"]
            .with_user(writer)
            .with_context(
                active_model="res.partner",
                active_id=self.partner.id,
                sms_two_way_category="compliance",
                sms_two_way_gateway_id=self.gateway_b.id,
                sms_two_way_auto_reply=True,
            )
            .create({"body": "You can't opt out of me"})
        )
        composer.action_send_sms()
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("body", "=", "You can't opt out of me")])
        )
        message = self.find_messages(body="You can't opt out of me")
        self.assertNotEqual(sms.sms_two_way_category, "compliance")
        self.assertFalse(sms.sms_two_way_auto_reply)
        self.assertEqual(
            message.gateway_id, self.gateway, "never another company's gateway"
        )
        self.assertEqual(message.state, "error")
        self.assertFalse(
            self.fake_twilio.message_requests(), "an opted-out number was texted"
        )


@tagged("post_install", "-at_install")
class TestRecordRules(SecurityFixtures, SmsTwoWayCase):
    def test_shared_keyword_rules_are_for_administrators(self):
        shared = self.env["sms.keyword"].create(
            {"name": "Shared", "keyword": "SHARED", "company_id": False}
        )
        own = self.env["sms.keyword"].create(
            {"name": "B's", "keyword": "BEE", "company_id": self.company_b.id}
        )
        self.assertEqual(
            shared.with_user(self.manager_b).name, "Shared", "readable by everyone"
        )
        with self.assertRaises(AccessError):
            shared.with_user(self.manager_b).write({"reply_body": "Hijacked"})
        with self.assertRaises(AccessError):
            shared.with_user(self.manager_b).unlink()
        with self.assertRaises(AccessError):
            self.env["sms.keyword"].with_user(self.manager_b).create(
                {"name": "New shared", "keyword": "NS", "company_id": False}
            )
        own.with_user(self.manager_b).write({"reply_body": "Fine"})
        shared.with_user(self.admin).write({"reply_body": "Admins may"})

    def test_campaign_questions_stay_in_their_company(self):
        campaign = self.env["sms.campaign"].create(
            {
                "name": "A campaign",
                "join_keywords": "JOINA",
                "gateway_id": self.gateway.id,
                "question_ids": [
                    (0, 0, {"question": "What do you do?"}),
                    (0, 0, {"question": "Where?"}),
                ],
            }
        )
        question = campaign.question_ids[0]
        with self.assertRaises(AccessError):
            question.with_user(self.marketer_b).write({"question": "Rewritten"})
        self.assertFalse(
            self.env["sms.campaign.question"]
            .with_user(self.marketer_b)
            .search([("id", "=", question.id)])
        )

    def test_quiet_profiles_stay_in_their_company(self):
        profile = self.env["sms.quiet.profile"].create(
            {"name": "A strict", "country_id": self.env.ref("base.be").id}
        )
        shared = self.env["sms.quiet.profile"].create(
            {
                "name": "Shared",
                "country_id": self.env.ref("base.fr").id,
                "company_id": False,
            }
        )
        self.assertFalse(
            self.env["sms.quiet.profile"]
            .with_user(self.manager_b)
            .search([("id", "=", profile.id)])
        )
        with self.assertRaises(AccessError):
            profile.with_user(self.manager_b).write({"end_hour": 23})
        with self.assertRaises(AccessError):
            shared.with_user(self.manager_b).write({"end_hour": 23})

    def test_conversation_routing_is_not_writable(self):
        conversation = self.env["sms.conversation"]._get_or_create(
            self.gateway, "+32470555300"
        )
        for vals in (
            {"gateway_id": self.simulator.id},
            {"number": "+32470555301"},
            {"company_id": self.company_b.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                conversation.with_user(self.sms_user).write(vals)
        conversation.with_user(self.sms_user).write(
            {"user_id": self.sms_user.id}
        )  # assignment stays open
        with self.assertRaises(AccessError):
            self.env["sms.conversation"].with_user(self.sms_user).create(
                {
                    "gateway_id": self.gateway_b.id,
                    "number": "+32470555302",
                    "company_id": self.company.id,
                }
            )
        created = (
            self.env["sms.conversation"]
            .with_user(self.sms_user)
            .create(
                {
                    "gateway_id": self.gateway.id,
                    "number": "+32470555303",
                    "company_id": self.company_b.id,
                }
            )
        )
        self.assertEqual(
            created.company_id, self.company, "the company is the gateway's"
        )

    def test_messages_follow_the_conversation_contact_rule(self):
        partner_b = self.env["res.partner"].create(
            {"name": "B customer", "company_id": self.company_b.id}
        )
        message = self.gateway._receive_inbound(inbound("Private", "+32470555400"))
        self.process_inbound()
        message.conversation_id.partner_id = partner_b
        Message = self.env["sms.conversation.message"].with_user(self.sms_user)
        self.assertNotIn(message, Message.search([]))
        self.assertIn(message, Message.with_user(self.sms_manager).search([]))

    def test_prompt_target_is_not_writable_by_managers(self):
        conversation = self.env["sms.conversation"]._get_or_create(
            self.gateway, "+32470555500"
        )
        prompt = self.env["sms.prompt"]._open(
            conversation, conversation, "yes_no", "Question"
        )
        for vals in (
            {"res_model": "res.users"},
            {"res_id": self.admin.id},
            {"conversation_id": conversation.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                prompt.with_user(self.sms_manager).write(vals)
        prompt.with_user(self.sms_manager).write({"state": "cancelled"})

    def test_answers_go_to_safe_lead_fields_only(self):
        campaign = self.env["sms.campaign"].create(
            {"name": "Q", "join_keywords": "JOINQ", "gateway_id": self.gateway.id}
        )

        def ask_into(name):
            field = self.env["ir.model.fields"]._get("crm.lead", name)
            campaign.write(
                {
                    "question_ids": [
                        (5,),
                        (0, 0, {"question": "Name?"}),
                        (0, 0, {"question": "?", "lead_field_id": field.id}),
                    ]
                }
            )

        for name in ("email_from", "stage_id", "probability", "user_id", "phone"):
            with self.subTest(field=name), self.assertRaises(ValidationError):
                ask_into(name)
        ask_into("function")
        self.assertEqual(campaign.question_ids[1].lead_field_id.name, "function")


@tagged("post_install", "-at_install")
class TestOptOutAcrossCompanies(SecurityFixtures, SmsTwoWayCase):
    def test_start_lifts_only_the_opt_out_given_on_the_same_gateway(self):
        number = "+32470555600"
        self.gateway_b._receive_inbound(inbound("STOP", number))
        self.process_inbound()
        self.assertTrue(self.env["sms.consent"]._is_opted_out(number))
        message = self.gateway._receive_inbound(inbound("START", number))
        self.process_inbound()
        self.assertTrue(
            self.env["sms.consent"]._is_opted_out(number),
            "company A lifted company B's opt-out",
        )
        self.assertTrue(message.conversation_id.needs_reply, "a person explains")
        entries = self.env["sms.consent"].search([("number", "=", number)])
        self.assertEqual(
            sorted(entries.mapped("direction")),
            ["opt_in", "opt_out"],
            "the START is still evidence",
        )
        self.gateway_b._receive_inbound(inbound("START", number))
        self.process_inbound()
        self.assertFalse(self.env["sms.consent"]._is_opted_out(number))


@tagged("post_install", "-at_install")
class TestBoundedRules(SecurityFixtures, SmsTwoWayCase):
    def test_rule_reply_placeholders_never_format(self):
        self.env["sms.keyword"].create(
            {
                "name": "Tricky",
                "keyword": "TRICK",
                "action": "reply",
                "reply_body": "Hi {name:>999999999} {name.first} {company}",
            }
        )
        message = self.simulator._receive_inbound(inbound("trick", "+32470555700"))
        self.process_inbound()
        reply = self.find_messages(
            conversation_id=message.conversation_id.id, direction="outbound"
        )
        self.assertEqual(
            reply.body, f"Hi {{name:>999999999}} {{name.first}} {self.company.name}"
        )

    def test_catastrophic_pattern_is_bounded_in_matching_and_in_the_tester(self):
        self.env["sms.keyword"].create(
            {
                "name": "Evil",
                "match_mode": "regex",
                "pattern": "^(a+)+$",
                "action": "reply",
                "reply_body": "matched",
            }
        )
        text = "a" * 40 + "b"
        started = time.perf_counter()
        rule, match = self.env["sms.keyword"]._match(text, self.company)
        tester = self.env["sms.keyword.tester"].create({"text": text})
        self.assertIn("No rule matches", tester.result)
        self.assertLess(time.perf_counter() - started, 5)
        self.assertFalse(rule)


@tagged("post_install", "-at_install")
class TestRepReplies(SecurityFixtures, SmsTwoWayCase):
    def test_rep_without_contact_rights_replies_on_a_contact_conversation(self):
        self.assertFalse(self.partner.with_user(self.sms_user).has_access("write"))
        conversation = self.env["sms.conversation"]._get_for_recipient(
            partner=self.partner
        )
        conversation.with_user(self.sms_user).write({"reply_body": "On my way"})
        conversation.with_user(self.sms_user).action_send_reply()
        [form] = self.fake_twilio.message_requests()
        self.assertEqual(form["Body"], "On my way")
        posted = self.partner.message_ids.filtered(lambda m: m.message_type == "sms")[
            :1
        ]
        self.assertEqual(posted.author_id, self.sms_user.partner_id)
