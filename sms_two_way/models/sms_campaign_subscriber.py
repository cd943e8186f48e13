from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import plaintext2html

from ..core.quiet_hours import next_allowed_time, pick_timezone


class SmsCampaignSubscriber(models.Model):
    """One number's membership of one campaign: the campaign-level consent state.

    The global opt-out (``phone.blacklist`` through ``sms.consent``) always
    wins; this record says whether the number asked for *this* program,
    confirmed it, and where its qualification flow stands.
    """

    _name = "sms.campaign.subscriber"
    _description = "SMS Campaign Subscriber"
    _order = "join_date desc, id desc"
    _rec_name = "number"

    campaign_id = fields.Many2one(
        "sms.campaign", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="campaign_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(
        "res.partner", "Contact", index=True, ondelete="set null"
    )
    number = fields.Char(required=True, index=True)
    conversation_id = fields.Many2one("sms.conversation", ondelete="set null")
    state = fields.Selection(
        [
            ("pending", "Awaiting confirmation"),
            ("confirmed", "Subscribed"),
            ("opted_out", "Opted out"),
        ],
        required=True,
        default="pending",
        index=True,
    )
    lead_id = fields.Many2one("crm.lead", ondelete="set null", index="btree_not_null")
    join_text = fields.Char(
        "Joined with", readonly=True, help="The exact text the person sent."
    )
    join_date = fields.Datetime(readonly=True, index=True)
    confirm_date = fields.Datetime(readonly=True)
    opt_out_date = fields.Datetime(readonly=True)
    rejoined = fields.Boolean(
        readonly=True, help="Joined again after leaving or re-texting the keyword."
    )
    question_index = fields.Integer(
        readonly=True, help="How many qualification questions were answered."
    )
    flow_state = fields.Selection(
        [
            ("none", "No questions"),
            ("running", "Answering"),
            ("done", "Completed"),
        ],
        default="none",
        readonly=True,
    )

    _sql_constraints = [
        (
            "campaign_number_unique",
            "unique(campaign_id, number)",
            "A number subscribes once per campaign.",
        ),
    ]

    # ------------------------------------------------------------ sending
    def _send_flow(self, body, capped=False):
        """Text the next step of the flow.

        Flow steps are bounded by the campaign (at most 5 questions), so they
        bypass the hourly auto-reply cap that would cut a flow short; free
        re-answers (``capped``) keep it as loop protection.
        """
        self.ensure_one()
        conversation = self.conversation_id
        if (
            not body
            or not conversation
            or self.env["sms.consent"]._is_opted_out(self.number)
        ):
            return False
        if capped:
            return conversation._send_auto_reply(body)
        conversation._send_text(body, category="direct", auto_reply=True)
        return True

    def _render(self, body):
        return self.campaign_id._render_for(body, self.partner_id)

    # ------------------------------------------------------------ double opt-in
    def _ask_confirmation(self, capped=False):
        """Send "Reply Y to confirm" with the disclosure; the reply answers a ``campaign_confirm`` prompt."""
        self.ensure_one()
        Prompt = self.env["sms.prompt"].sudo()
        Prompt.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("state", "=", "open"),
            ]
        )._close("cancelled")
        Prompt._open(
            self.conversation_id,
            self,
            "campaign_confirm",
            self.env._("Confirm your subscription to %s", self.campaign_id.name),
        )
        self._send_flow(
            self._render(
                self.campaign_id._join_texts(self.campaign_id.confirm_message)
            ),
            capped=capped,
        )

    def _confirm(self, message, first_message=False):
        """The subscription is confirmed: record it, welcome the person, start the questions."""
        self.ensure_one()
        campaign = self.campaign_id
        self.write({"state": "confirmed", "confirm_date": fields.Datetime.now()})
        if (
            not first_message
        ):  # double opt-in: the confirmation is consent evidence of its own
            self.env["sms.consent"]._record_opt_in(
                self.number,
                "campaign",
                partner=self.partner_id,
                text=message.body,
                gateway=message.gateway_id,
                message=message,
                campaign_id=campaign.id,
                campaign_pending=False,
            )
        welcome = campaign.welcome_message
        self._send_flow(
            self._render(campaign._join_texts(welcome) if first_message else welcome)
        )
        self._start_flow()

    # ------------------------------------------------------------ qualification flow
    def _get_questions(self):
        return self.campaign_id.question_ids.sorted("sequence")

    def _start_flow(self):
        self.ensure_one()
        if not self._get_questions():
            self.flow_state = "none"
            self._notify_salesperson(
                self.env._("New SMS subscriber to %s.", self.campaign_id.name)
            )
            return
        self.write({"flow_state": "running", "question_index": 0})
        self._ask_question()

    def _ask_question(self):
        self.ensure_one()
        question = self._get_questions()[self.question_index]
        self.env["sms.prompt"]._open(
            self.conversation_id,
            self,
            "campaign_question",
            self.env._(
                "%(campaign)s question %(n)s",
                campaign=self.campaign_id.name,
                n=self.question_index + 1,
            ),
        )
        self._send_flow(self._render(question.question))

    def _record_answer(self, prompt, message):
        """Store the answer on the lead and ask the next question, or finish the flow.

        A reply that is itself a question ("how much is it?") is not an
        answer: it is handed off to the salesperson and the question stays open.
        """
        self.ensure_one()
        text = (message.body or "").strip()
        if "?" in text:
            reason = self.env._(
                "Question outside the %s SMS flow.", self.campaign_id.name
            )
            message.conversation_id._handoff(message, reason=reason)
            self._notify_salesperson(reason, message)
            return True
        prompt._close()
        questions = self._get_questions()
        if self.question_index >= len(questions):
            return False
        question = questions[self.question_index]
        self._store_answer(question, text)
        self.question_index += 1
        if self.question_index < len(questions):
            self._ask_question()
        else:
            self.flow_state = "done"
            self._send_flow(self._render(self.campaign_id.completion_message))
            self._notify_salesperson(
                self.env._("%s qualification completed by SMS.", self.campaign_id.name)
            )
        return True

    def _store_answer(self, question, text):
        lead = self._ensure_lead()
        line = f"{question.question.strip()}\n→ {text}"
        vals = {
            "sms_campaign_answers": "\n\n".join(
                filter(None, [lead.sms_campaign_answers, line])
            )
        }
        if question.lead_field_id:
            vals[question.lead_field_id.name] = text
        lead.write(vals)

    def _notify_salesperson(self, summary, message=None):
        """A to-do on the lead for its salesperson: the flow is done, or the person needs a human."""
        lead = self.lead_id
        if not lead:
            return
        note = Markup("<p>%s</p>") % summary
        if message:
            note += plaintext2html(message.body or "")
        if lead.sms_campaign_answers:
            note += plaintext2html(lead.sms_campaign_answers)
        lead.message_post(
            body=note, message_type="comment", subtype_xmlid="mail.mt_note"
        )
        if lead.user_id:
            lead.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=lead.user_id.id,
                summary=summary,
                note=note,
            )

    # ------------------------------------------------------------ lead
    def _ensure_lead(self):
        """The open lead of this person for this campaign, created when there is none."""
        self.ensure_one()
        Lead = self.env["crm.lead"].sudo()
        lead = self.lead_id
        if not lead or not lead.active or lead.stage_id.is_won:
            lead = Lead.search(
                [
                    ("partner_id", "=", self.partner_id.id),
                    ("sms_campaign_id", "=", self.campaign_id.id),
                    ("stage_id.is_won", "=", False),
                ],
                limit=1,
                order="id desc",
            )
        if not lead:
            campaign = self.campaign_id
            lead = Lead.with_context(mail_create_nosubscribe=True).create(
                {
                    "name": self.env._(
                        "%(campaign)s: %(who)s",
                        campaign=campaign.name,
                        who=self.partner_id.name or self.number,
                    ),
                    "partner_id": self.partner_id.id,
                    "mobile": self.number,
                    "team_id": campaign.team_id.id or False,
                    "user_id": (campaign.user_id or campaign.team_id.user_id).id
                    or False,
                    "tag_ids": [(6, 0, campaign.tag_ids.ids)],
                    "company_id": campaign.company_id.id,
                    "sms_campaign_id": campaign.id,
                    "sms_conversation_id": self.conversation_id.id,
                }
            )
        self.lead_id = lead
        return lead

    # ------------------------------------------------------------ prompt hooks
    def _sms_prompt_cancelled(self, prompt):
        """STOP during the flow: nothing to do here, the consent ledger marks the opt-out."""

    def _sms_prompt_expired(self, prompt):
        if prompt.kind == "campaign_question":
            self._notify_salesperson(
                self.env._(
                    "Stopped answering the %s SMS questions.", self.campaign_id.name
                )
            )

    # ------------------------------------------------------------ opt-out
    @api.model
    def _mark_opted_out(self, number):
        """The number opted out (STOP, provider error...): every subscription of it ends."""
        subscribers = self.sudo().search(
            [("number", "=", number), ("state", "!=", "opted_out")]
        )
        subscribers.write({"state": "opted_out", "opt_out_date": fields.Datetime.now()})
        return subscribers

    # ------------------------------------------------------------ broadcasts
    def _get_not_before(self, now):
        """When a marketing SMS may reach this person: the company's quiet hours in their time zone."""
        self.ensure_one()
        company = self.company_id
        if not company.sms_quiet_hours:
            return now
        tz = pick_timezone(self.partner_id.tz, self.number, company.partner_id.tz)
        return next_allowed_time(
            now, tz, company.sms_quiet_start, company.sms_quiet_end
        )
