from datetime import datetime
from zoneinfo import ZoneInfo

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import SurveySmsCase


@tagged("post_install", "-at_install")
class TestSurveySmsInvite(SurveySmsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.create_survey(
            "How did we do?",
            [
                ("Rate your experience", "scale", {"scale_min": 1, "scale_max": 5}),
            ],
        )
        cls.bob = cls.env["res.partner"].create(
            {"name": "Bob", "mobile": "+32470555666"}
        )
        cls.no_mobile = cls.env["res.partner"].create(
            {"name": "No Mobile", "email": "nomobile@example.com"}
        )
        cls.opted_out = cls.env["res.partner"].create(
            {"name": "Opted Out", "mobile": "+32470777888"}
        )
        cls.env["sms.consent"]._record_opt_out(
            "+32470777888", "keyword", partner=cls.opted_out
        )
        cls.survey_user = new_test_user(
            cls.env,
            "survey_manager_sms",
            company_id=cls.company.id,
            groups="base.group_user,survey.group_survey_user,sms_two_way.group_sms_user",
        )

    def queued_invitations(self):
        """The ``sms.sms`` of this survey's invitations, queued or not yet cleaned up."""
        return (
            self.env["sms.sms"]
            .sudo()
            .search([("body", "like", "Rate your experience")])
        )

    def test_invite_skips_who_cannot_be_texted(self):
        contacts = self.partner | self.bob | self.no_mobile | self.opted_out
        user_inputs = self.survey.sms_invite(contacts.ids)
        self.send_queued()
        self.assertEqual(user_inputs.partner_id, self.partner | self.bob)
        self.assertEqual(
            sorted(form["To"] for form in self.fake_twilio.message_requests()),
            ["+32470123456", "+32470555666"],
        )
        self.assertFalse(
            self.survey.sms_invite(self.partner),
            "already answering by SMS: not invited twice",
        )
        self.assertEqual(len(self.open_prompts()), 2)

    def test_invite_refused_for_a_survey_sms_cannot_ask(self):
        grid = self.create_survey(
            "Grid only", [("Grid", "matrix", {"answers": ["Good", "Bad"]})]
        )
        with self.assertRaises(UserError):
            grid.sms_invite(self.partner.ids)
        self.survey.action_archive()
        with self.assertRaises(UserError):
            self.survey.sms_invite(self.partner.ids)

    def test_invite_in_quiet_hours_is_deferred_but_the_question_opens(self):
        self.company.sms_quiet_hours = True
        night = datetime(
            2025, 3, 10, 23, 0, tzinfo=ZoneInfo("Europe/Brussels")
        ).astimezone(ZoneInfo("UTC"))
        with freeze_time(night.replace(tzinfo=None)):
            user_input = self.survey.sms_invite(self.partner.ids)
            self.send_queued()
        self.assertFalse(self.fake_twilio.message_requests(), "deferred to the morning")
        sms = self.queued_invitations()
        self.assertEqual(sms.state, "outgoing")
        self.assertTrue(sms.sms_two_way_not_before)
        self.assertEqual(len(self.open_prompts(user_input)), 1)

    def test_staff_counters(self):
        user_inputs = self.survey.sms_invite((self.partner | self.bob).ids)
        self.survey.invalidate_recordset()
        self.assertEqual(
            (
                self.survey.sms_invite_count,
                self.survey.sms_in_progress_count,
                self.survey.sms_done_count,
            ),
            (2, 2, 0),
        )
        self.reply("5")
        self.survey.invalidate_recordset()
        self.assertEqual(
            (
                self.survey.sms_invite_count,
                self.survey.sms_in_progress_count,
                self.survey.sms_done_count,
            ),
            (2, 1, 1),
        )
        action = self.survey.with_context(
            sms_states=["done"]
        ).action_view_sms_user_inputs()
        self.assertEqual(
            self.env["survey.user_input"].search(action["domain"]),
            user_inputs.filtered(lambda ui: ui.partner_id == self.partner),
        )

    def test_wizard_from_contacts_by_a_survey_user(self):
        contacts = self.partner | self.no_mobile | self.opted_out
        Wizard = (
            self.env["survey.sms.invite"]
            .with_user(self.survey_user)
            .with_context(active_model="res.partner", active_ids=contacts.ids)
        )
        wizard = Wizard.create({"survey_id": self.survey.id})
        self.assertEqual(wizard.partner_ids, contacts)
        self.assertTrue(wizard.sms_compatible)
        self.assertEqual(wizard.sendable_count, 1)
        self.assertIn("No Mobile", wizard.skipped_html)
        self.assertIn("opted out", wizard.skipped_html)
        result = wizard.action_invite()
        self.send_queued()
        self.assertEqual(result["params"]["type"], "success")
        user_input = self.env["survey.user_input"].search(
            [("survey_id", "=", self.survey.id)]
        )
        self.assertEqual(
            (user_input.partner_id, user_input.sms_state), (self.partner, "invited")
        )
        self.assertEqual(len(self.fake_twilio.message_requests()), 1)

    def test_only_sms_users_invite_by_sms(self):
        survey_only = new_test_user(
            self.env, "survey_no_sms", groups="base.group_user,survey.group_survey_user"
        )
        with self.assertRaises(AccessError):
            self.survey.with_user(survey_only).sms_invite(self.partner.ids)
        wizard = (
            self.env["survey.sms.invite"]
            .with_user(survey_only)
            .create({"survey_id": self.survey.id, "partner_ids": self.partner.ids})
        )
        with self.assertRaises(AccessError):
            wizard.action_invite()
        self.assertFalse(
            self.env["survey.user_input"].search([("survey_id", "=", self.survey.id)])
        )
        user_input = self.survey.sms_invite(self.partner.ids)
        self.send_queued()
        user_input.sms_state = "handoff"
        self.fake_twilio.requests.clear()
        with self.assertRaises(AccessError):
            user_input.with_user(survey_only).action_sms_resume()
        self.send_queued()
        self.assertFalse(self.fake_twilio.message_requests())

    def test_wizard_warns_about_unsupported_questions(self):
        mixed = self.create_survey(
            "Mixed",
            [
                ("Grid", "matrix", {"answers": ["Good", "Bad"]}),
                ("Rate us", "scale", {"scale_min": 1, "scale_max": 5}),
            ],
        )
        wizard = self.env["survey.sms.invite"].create(
            {"survey_id": mixed.id, "partner_ids": self.partner.ids}
        )
        self.assertFalse(wizard.sms_compatible)
        self.assertEqual(wizard.sms_unsupported_question_ids.mapped("title"), ["Grid"])
        action = mixed.action_sms_invite()
        self.assertEqual(action["context"]["default_survey_id"], mixed.id)

    def test_server_action_example_invites_the_contact(self):
        action = self.env.ref(
            "sms_two_way_survey.ir_actions_server_survey_sms_invite_partner"
        )
        self.survey.title = "Customer satisfaction"
        action.with_context(
            active_model="res.partner", active_ids=self.bob.ids, active_id=self.bob.id
        ).run()
        user_input = self.env["survey.user_input"].search(
            [("survey_id", "=", self.survey.id)]
        )
        self.assertEqual(user_input.partner_id, self.bob)
        self.assertEqual(user_input.sms_state, "invited")

    def test_wizard_invitations_are_queued_then_sent_once(self):
        """Inviting contacts calls no provider in the user's request: the invitations are queued,
        automated, and the SMS queue, woken at once, sends each of them once."""
        triggers = self.sms_queue_triggers()
        wizard = (
            self.env["survey.sms.invite"]
            .with_user(self.survey_user)
            .create(
                {
                    "survey_id": self.survey.id,
                    "partner_ids": (self.partner | self.bob).ids,
                }
            )
        )
        wizard.action_invite()
        self.assertFalse(self.fake_twilio.message_requests(), "nothing sent yet")
        queued = self.queued_invitations()
        self.assertEqual(
            [(sms.state, sms.sms_two_way_category) for sms in queued],
            [("outgoing", "automated")] * 2,
        )
        self.assertGreater(self.sms_queue_triggers(), triggers, "queue woken at once")
        self.send_queued()
        self.send_queued()
        self.assertEqual(
            sorted(form["To"] for form in self.fake_twilio.message_requests()),
            ["+32470123456", "+32470555666"],
        )

    def test_keyword_rule_inviting_to_a_survey_calls_no_provider_while_processing(self):
        """A rule's server action invites the texter: processing their message only queues the
        invitation, which the SMS queue sends afterwards."""
        bot = self.env.ref("sms_two_way.user_sms_two_way_bot")
        # What an administrator does to let keyword rules start surveys.
        bot.groups_id = [Command.link(self.env.ref("survey.group_survey_user").id)]
        action = self.env["ir.actions.server"].create(
            {
                "name": "Invite the texter to the satisfaction survey",
                "model_id": self.env.ref("sms_two_way.model_sms_conversation").id,
                "state": "code",
                "code": f"env['survey.survey'].browse({self.survey.id})"
                ".sms_invite(env.context['sms_partner'].ids)",
            }
        )
        self.env["sms.keyword"].create(
            {
                "name": "Survey",
                "keyword": "SURVEY",
                "action": "server_action",
                "server_action_id": action.id,
            }
        )
        self.receive_sms("Survey", process=False)
        triggers = self.sms_queue_triggers()
        self.assertEqual(self.env["sms.conversation.message"]._process_pending(), 1)
        self.assertFalse(
            self.fake_twilio.message_requests(), "no provider call while processing"
        )
        user_input = self.env["survey.user_input"].search(
            [("survey_id", "=", self.survey.id), ("partner_id", "=", self.partner.id)]
        )
        self.assertEqual(user_input.sms_state, "invited")
        self.assertGreater(self.sms_queue_triggers(), triggers, "queue woken at once")
        self.send_queued()
        self.send_queued()
        [invitation] = self.sent_bodies()
        self.assertIn("How did we do?", invitation)
        self.assertIn("Rate your experience", invitation)
