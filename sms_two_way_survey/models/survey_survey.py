import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

DEFAULT_SMS_EXPIRY_HOURS = 72
# sms_state values of an invitation still waiting for the contact (or staff).
SMS_OPEN_STATES = ("invited", "in_progress", "handoff")


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    sms_expiry_hours = fields.Integer(
        "SMS answer delay (hours)",
        default=DEFAULT_SMS_EXPIRY_HOURS,
        help="A contact who does not answer an SMS question within this delay leaves the survey "
        "in progress; later replies are no longer taken as answers.",
    )
    sms_unsupported_question_ids = fields.Many2many(
        "survey.question",
        string="Questions skipped by SMS",
        compute="_compute_sms_unsupported_question_ids",
        help="Questions whose type cannot be answered by a text reply: SMS participants skip them.",
    )
    sms_compatible = fields.Boolean(
        "SMS-compatible", compute="_compute_sms_unsupported_question_ids"
    )
    sms_invite_count = fields.Integer("SMS invitations", compute="_compute_sms_counts")
    sms_in_progress_count = fields.Integer(
        "SMS in progress", compute="_compute_sms_counts"
    )
    sms_done_count = fields.Integer("SMS completed", compute="_compute_sms_counts")

    @api.depends("question_and_page_ids.question_type", "question_and_page_ids.is_page")
    def _compute_sms_unsupported_question_ids(self):
        for survey in self:
            questions = survey.question_and_page_ids.filtered(lambda q: not q.is_page)
            unsupported = questions.filtered(lambda q: not q.sms_compatible)
            survey.sms_unsupported_question_ids = unsupported
            survey.sms_compatible = bool(questions) and not unsupported

    def _compute_sms_counts(self):
        counts = {
            (survey.id, state): count
            for survey, state, count in self.env["survey.user_input"]
            .sudo()
            ._read_group(
                [("survey_id", "in", self.ids), ("sms_state", "!=", False)],
                ["survey_id", "sms_state"],
                ["__count"],
            )
        }
        for survey in self:
            by_state = {
                state: counts.get((survey.id, state), 0)
                for state in (
                    "invited",
                    "in_progress",
                    "handoff",
                    "done",
                    "abandoned",
                    "expired",
                )
            }
            survey.sms_invite_count = sum(by_state.values())
            survey.sms_in_progress_count = sum(
                by_state[state] for state in SMS_OPEN_STATES
            )
            survey.sms_done_count = by_state["done"]

    # ------------------------------------------------------------ invitations
    def sms_invite(self, partner_ids):
        """Invite contacts to answer this survey by SMS; return the created ``survey.user_input``.

        The one entry point of the wizard and of automation rules.  Contacts
        that cannot be texted (no valid mobile, opted out) or that already
        answer this survey by SMS are skipped.  Each invitation is a native
        survey answer, so the replies show in the survey's results; its first
        question goes out as an automated SMS (quiet hours apply).
        """
        self.ensure_one()
        self._sms_check_sms_user()
        if not self.active:
            raise UserError(
                self.env._(
                    "The survey %s is closed: reopen it to send it by SMS.", self.title
                )
            )
        if not self.question_ids.filtered("sms_compatible"):
            raise UserError(
                self.env._(
                    "The survey %s has no question that can be answered by SMS.",
                    self.title,
                )
            )
        partners = (
            partner_ids
            if isinstance(partner_ids, models.BaseModel)
            else self.env["res.partner"].browse(partner_ids or [])
        )
        user_inputs = self.env["survey.user_input"]
        for partner in partners:
            reason = self._sms_invite_skip_reason(partner)
            if reason:
                _logger.info(
                    "Survey %s not sent by SMS to contact %s: %s",
                    self.id,
                    partner.id,
                    reason,
                )
                continue
            user_inputs |= self._sms_invite_partner(partner)
        return user_inputs

    @api.model
    def _sms_check_sms_user(self):
        """Texting contacts about a survey is for SMS users (and server code), not every survey user."""
        if not self.env.su and not self.env.user.has_group(
            "sms_two_way.group_sms_user"
        ):
            raise AccessError(
                self.env._("Only SMS users may text contacts about a survey.")
            )

    def _sms_invite_skip_reason(self, partner):
        """Why ``partner`` cannot be invited by SMS now, or False."""
        self.ensure_one()
        number = self._sms_partner_number(partner)
        if not number:
            return self.env._("no valid mobile number or no SMS gateway")
        if self.env["sms.consent"]._is_opted_out(number):
            return self.env._("opted out of SMS")
        if (
            self.env["survey.user_input"]
            .sudo()
            .search_count(
                [
                    ("survey_id", "=", self.id),
                    ("partner_id", "=", partner.id),
                    ("sms_state", "in", SMS_OPEN_STATES),
                ]
            )
        ):
            return self.env._("already answering this survey by SMS")
        return False

    def _sms_partner_number(self, partner):
        """The E.164 number ``partner`` would be texted at, found without creating a conversation
        (the wizard previews it)."""
        return self.env["sms.conversation"]._resolve_recipient(partner=partner)[1]

    def _sms_invite_partner(self, partner):
        """Create the answer of ``partner`` with the survey module's API and text the first question."""
        conversation = self.env["sms.conversation"]._get_for_recipient(partner=partner)
        try:
            user_input = self._create_answer(
                partner=partner,
                sms_conversation_id=conversation.id,
                sms_state="invited",
            )
        except UserError as error:  # e.g. no attempts left for this contact
            _logger.info(
                "Survey %s not sent by SMS to contact %s: %s",
                self.id,
                partner.id,
                error,
            )
            return self.env["survey.user_input"]
        question = user_input._sms_next_question()
        if not question:  # a random selection drew only questions SMS cannot ask
            user_input.unlink()
            return self.env["survey.user_input"]
        user_input._sms_ask(question, category="automated", intro=True)
        return user_input

    # ------------------------------------------------------------ actions
    def action_sms_invite(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send by SMS"),
            "res_model": "survey.sms.invite",
            "view_mode": "form",
            "target": "new",
            "context": {"default_survey_id": self.id},
        }

    def action_view_sms_user_inputs(self):
        """The SMS invitations of this survey, optionally narrowed by ``sms_states`` in the context."""
        self.ensure_one()
        domain = [("survey_id", "=", self.id), ("sms_state", "!=", False)]
        if states := self.env.context.get("sms_states"):
            domain.append(("sms_state", "in", states))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "survey.action_survey_user_input"
        )
        action.update(
            domain=domain, context={"create": False}, name=self.env._("SMS invitations")
        )
        return action
