from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..core import keywords as engine
from ..core import placeholders
from ..core.segments import count_segments

DEFAULT_CONFIRM = "{campaign}: Reply Y to confirm your subscription."
DEFAULT_WELCOME = "Welcome to {campaign}, {first_name}!"
DEFAULT_DISCLOSURE = (
    "{campaign}: up to 4 msgs/month. Msg & data rates may apply. "
    "Reply HELP for help, STOP to cancel."
)
DEFAULT_ALREADY = "You're already subscribed to {campaign}. Reply STOP to unsubscribe."
DEFAULT_COMPLETION = (
    "Thanks {first_name}! Someone from {company} will be in touch soon."
)

SAMPLE_VALUES = {"name": "Alex Sample", "first_name": "Alex"}


def render_placeholders(body, name="", campaign="", company=""):
    """Fill {name}, {first_name}, {campaign}, {company} (see :mod:`..core.placeholders`)."""
    return placeholders.render(
        body,
        {
            "name": name,
            "first_name": placeholders.first_name(name),
            "campaign": campaign,
            "company": company,
        },
    )


def describe_segments(env, text):
    """Human summary of what ``text`` costs: encoding and segment count."""
    size = count_segments(text or "")
    return env._(
        "%(encoding)s · %(chars)s chars · %(segments)s segment(s)",
        encoding=size.encoding,
        chars=size.characters,
        segments=size.segments,
    )


class SmsCampaign(models.Model):
    """A "text JOIN to subscribe" program designed by marketers from CRM.

    People text one of the ``join_keywords`` to the gateway number; a
    synchronised ``sms.keyword`` rule (action ``campaign_join``) routes that
    text to :meth:`_sms_join`, so keyword routing stays entirely in core.
    """

    _name = "sms.campaign"
    _description = "SMS Campaign"
    _inherit = ["mail.thread"]
    _order = "date_start desc, id desc"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    gateway_id = fields.Many2one(
        "sms.gateway",
        domain="[('company_id', '=', company_id)]",
        help="The number people text. Empty: any gateway of the company.",
    )
    join_keywords = fields.Char(
        required=True,
        help="Words people text to join, comma-separated, e.g. JOIN FIT, FIT.",
    )
    double_opt_in = fields.Boolean(
        help="Ask people to confirm (reply Y) before they are subscribed."
    )
    confirm_message = fields.Text(
        "Confirmation question", default=DEFAULT_CONFIRM, translate=True
    )
    welcome_message = fields.Text(default=DEFAULT_WELCOME, translate=True)
    disclosure_message = fields.Text(
        "Program disclosure",
        default=DEFAULT_DISCLOSURE,
        translate=True,
        help="Frequency, rates and HELP/STOP: sent with the first message of every subscription.",
    )
    already_subscribed_message = fields.Text(default=DEFAULT_ALREADY, translate=True)
    completion_message = fields.Text(
        "After the last question", default=DEFAULT_COMPLETION, translate=True
    )
    question_ids = fields.One2many(
        "sms.campaign.question", "campaign_id", "Qualification questions", copy=True
    )
    team_id = fields.Many2one("crm.team", "Sales team")
    user_id = fields.Many2one(
        "res.users", "Salesperson", domain="[('share', '=', False)]"
    )
    tag_ids = fields.Many2many("crm.tag", string="Lead tags")
    date_start = fields.Date("Active from")
    date_end = fields.Date("Active until")
    keyword_id = fields.Many2one(
        "sms.keyword", "Keyword rule", readonly=True, copy=False
    )
    subscriber_ids = fields.One2many("sms.campaign.subscriber", "campaign_id")
    broadcast_ids = fields.One2many("sms.campaign.broadcast", "campaign_id")
    subscriber_count = fields.Integer(compute="_compute_counts")
    opt_out_count = fields.Integer(compute="_compute_counts")
    lead_count = fields.Integer(compute="_compute_counts")
    message_count = fields.Integer(compute="_compute_counts", string="SMS count")
    broadcast_count = fields.Integer(compute="_compute_counts")
    preview_html = fields.Html(
        "Flow preview", compute="_compute_preview_html", sanitize=False
    )

    # ------------------------------------------------------------ constraints
    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for campaign in self:
            if (
                campaign.date_start
                and campaign.date_end
                and campaign.date_start > campaign.date_end
            ):
                raise ValidationError(
                    self.env._("Campaign %s ends before it starts.", campaign.name)
                )

    @api.constrains("join_keywords", "company_id", "active")
    def _check_join_keywords(self):
        """Two active campaigns of a company must not share a join keyword: one text, one program."""
        for campaign in self.filtered("active"):
            words = set(campaign._get_join_words())
            if not words:
                raise ValidationError(
                    self.env._(
                        "Campaign %s needs at least one join keyword.", campaign.name
                    )
                )
            others = self.search(
                [("company_id", "=", campaign.company_id.id), ("id", "!=", campaign.id)]
            )
            for other in others:
                shared = words & set(other._get_join_words())
                if shared:
                    raise ValidationError(
                        self.env._(
                            "Keyword %(word)s is already used by campaign %(other)s.",
                            word=", ".join(sorted(shared)),
                            other=other.name,
                        )
                    )

    @api.constrains("question_ids")
    def _check_questions(self):
        """A qualification flow is short: 2 to 5 questions, or none."""
        for campaign in self:
            if len(campaign.question_ids) == 1 or len(campaign.question_ids) > 5:
                raise ValidationError(
                    self.env._("A qualification flow has 2 to 5 questions (or none).")
                )

    def _get_join_words(self):
        self.ensure_one()
        return [
            engine.normalize(word)
            for word in (self.join_keywords or "").split(",")
            if word.strip()
        ]

    # ------------------------------------------------------------ computes
    def _compute_counts(self):
        Subscriber = self.env["sms.campaign.subscriber"]
        by_state = {}
        for campaign, state, count in Subscriber._read_group(
            [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count"]
        ):
            by_state[(campaign.id, state)] = count
        leads = dict(
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group(
                [("sms_campaign_id", "in", self.ids)], ["sms_campaign_id"], ["__count"]
            )
        )
        broadcasts = dict(
            self.env["sms.campaign.broadcast"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"]
            )
        )
        for campaign in self:
            campaign.subscriber_count = by_state.get((campaign.id, "confirmed"), 0)
            campaign.opt_out_count = by_state.get((campaign.id, "opted_out"), 0)
            campaign.lead_count = leads.get(campaign, 0)
            campaign.broadcast_count = broadcasts.get(campaign, 0)
            campaign.message_count = len(campaign._get_message_domain_ids())

    def _get_message_domain_ids(self):
        """Ids of the SMS exchanged in this campaign's subscriber conversations since they joined."""
        self.ensure_one()
        if not self.id:
            return []
        self.env["sms.campaign.subscriber"].flush_model()
        self.env["sms.conversation.message"].flush_model()
        self.env.cr.execute(
            """
            SELECT m.id FROM sms_conversation_message m
              JOIN sms_campaign_subscriber s ON s.conversation_id = m.conversation_id
             WHERE s.campaign_id = %s AND m.create_date >= s.join_date
        """,
            [self.id],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.depends(
        "double_opt_in",
        "confirm_message",
        "welcome_message",
        "disclosure_message",
        "completion_message",
        "already_subscribed_message",
        "question_ids.question",
        "name",
    )
    def _compute_preview_html(self):
        for campaign in self:
            rows = Markup("").join(
                Markup(
                    '<tr><td class="fw-bold pe-3 align-top">%s</td><td><div class="o_sms_campaign_bubble '
                    'border rounded p-2 mb-1" style="white-space: pre-wrap">%s</div>'
                    '<small class="text-muted">%s</small></td></tr>'
                )
                % (step, text, describe_segments(self.env, text))
                for step, text in campaign._get_flow_steps()
            )
            campaign.preview_html = (
                Markup(
                    '<table class="table table-sm o_sms_campaign_preview">%s</table>'
                )
                % rows
            )

    def _get_flow_steps(self):
        """``(when, what the customer receives)`` for every step, rendered for a sample person."""
        self.ensure_one()
        render = self._render_sample
        first_word = (self.join_keywords or "JOIN").split(",")[0].strip()
        steps = []
        if self.double_opt_in:
            steps.append(
                (
                    self.env._("Texts %s", first_word),
                    render(self._join_texts(self.confirm_message)),
                )
            )
            steps.append((self.env._("Replies Y"), render(self.welcome_message)))
        else:
            steps.append(
                (
                    self.env._("Texts %s", first_word),
                    render(self._join_texts(self.welcome_message)),
                )
            )
        for index, question in enumerate(self.question_ids.sorted("sequence"), start=1):
            steps.append((self.env._("Question %s", index), render(question.question)))
        if self.question_ids:
            steps.append(
                (self.env._("After the last answer"), render(self.completion_message))
            )
        steps.append(
            (
                self.env._("Texts %s again", first_word),
                render(self.already_subscribed_message),
            )
        )
        return steps

    def _join_texts(self, first):
        """The first message of a subscription always carries the program disclosure."""
        return "\n".join(part for part in (first, self.disclosure_message) if part)

    def _render_sample(self, body):
        return render_placeholders(
            body, SAMPLE_VALUES["name"], self.name or "", self.company_id.name or ""
        )

    def _render_for(self, body, partner):
        self.ensure_one()
        return render_placeholders(
            body,
            partner.name if partner and partner.name != partner.mobile else "",
            self.name,
            self.company_id.name,
        )

    # ------------------------------------------------------------ keyword sync
    @api.model_create_multi
    def create(self, vals_list):
        campaigns = super().create(vals_list)
        campaigns._sync_keyword()
        return campaigns

    def write(self, vals):
        result = super().write(vals)
        if {"name", "join_keywords", "active", "company_id"} & set(vals):
            self._sync_keyword()
        return result

    def unlink(self):
        keywords = self.sudo().keyword_id
        result = super().unlink()
        keywords.unlink()
        return result

    def _sync_keyword(self):
        """One ``sms.keyword`` per campaign, visible in Keyword Rules, routed by core."""
        Keyword = self.env["sms.keyword"].sudo().with_context(active_test=False)
        for campaign in self:
            words = [
                word.strip()
                for word in (campaign.join_keywords or "").split(",")
                if word.strip()
            ]
            vals = {
                "name": self.env._("Join campaign %s", campaign.name),
                "active": campaign.active,
                "company_id": campaign.company_id.id,
                "keyword": words[0] if words else campaign.name,
                "aliases": ", ".join(words[1:]),
                "match_mode": engine.MODE_EXACT,
                "scope": "any",
                "action": "campaign_join",
                "campaign_id": campaign.id,
                "sequence": 5,
            }
            if campaign.keyword_id:
                campaign.keyword_id.sudo().write(vals)
            else:
                campaign.sudo().keyword_id = Keyword.create(vals)

    # ------------------------------------------------------------ joining
    def _is_running(self, today=None):
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        return (
            self.active
            and (not self.date_start or self.date_start <= today)
            and (not self.date_end or today <= self.date_end)
        )

    def _sms_join(self, message):
        """Someone texted a join keyword: subscribe them (or say they already are).

        Returns False when the campaign cannot take the text (not running,
        other gateway): core then hands it off to a person.
        """
        self.ensure_one()
        if not self._is_running() or (
            self.gateway_id and self.gateway_id != message.gateway_id
        ):
            return False
        Subscriber = self.env["sms.campaign.subscriber"].sudo()
        conversation = message.conversation_id.sudo()
        subscriber = Subscriber.search(
            [("campaign_id", "=", self.id), ("number", "=", conversation.number)],
            limit=1,
        )
        opted_out = self.env["sms.consent"]._is_opted_out(conversation.number)
        if subscriber.state == "confirmed" and not opted_out:
            subscriber._send_flow(
                self._render_for(
                    self.already_subscribed_message, subscriber.partner_id
                ),
                capped=True,
            )
            return True
        if subscriber.state == "pending" and not opted_out and self.double_opt_in:
            subscriber._ask_confirmation(
                capped=True
            )  # a robot re-texting JOIN must not loop
            return True
        partner = conversation.partner_id or self._create_contact(conversation)
        vals = {
            "campaign_id": self.id,
            "partner_id": partner.id,
            "number": conversation.number,
            "conversation_id": conversation.id,
            "state": "pending",
            "join_text": message.body,
            "join_date": fields.Datetime.now(),
            "confirm_date": False,
            "opt_out_date": False,
            "question_index": 0,
            "rejoined": bool(subscriber),
        }
        if subscriber:
            subscriber.write(vals)
        else:
            subscriber = Subscriber.create(vals)
        self.env["sms.consent"]._record_opt_in(
            conversation.number,
            "campaign",
            partner=partner,
            text=message.body,
            gateway=message.gateway_id,
            message=message,
            campaign_id=self.id,
            campaign_pending=self.double_opt_in,
        )
        if not conversation.user_id and (self.user_id or self.team_id.user_id):
            conversation.user_id = self.user_id or self.team_id.user_id
        subscriber._ensure_lead()
        if self.double_opt_in:
            subscriber._ask_confirmation()
        else:
            subscriber._confirm(message, first_message=True)
        return True

    def _create_contact(self, conversation):
        """An unknown number joins: a contact named after the number, so leads and chatter work."""
        partner = (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": conversation.number,
                    "mobile": conversation.number,
                    "company_id": False,
                }
            )
        )
        conversation.partner_id = partner
        return partner

    # ------------------------------------------------------------ smart buttons
    def _action_for(self, model, domain, name, context=None):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": context or {},
        }

    def action_view_subscribers(self):
        self.ensure_one()
        return self._action_for(
            "sms.campaign.subscriber",
            [("campaign_id", "=", self.id)],
            self.env._("Subscribers"),
            {"search_default_filter_confirmed": 1, "default_campaign_id": self.id},
        )

    def action_view_opt_outs(self):
        self.ensure_one()
        return self._action_for(
            "sms.campaign.subscriber",
            [("campaign_id", "=", self.id), ("state", "=", "opted_out")],
            self.env._("Opt-outs"),
        )

    def action_view_leads(self):
        self.ensure_one()
        action = self._action_for(
            "crm.lead", [("sms_campaign_id", "=", self.id)], self.env._("Leads")
        )
        action["view_mode"] = "list,kanban,form"
        action["context"] = {"active_test": False}
        return action

    def action_view_messages(self):
        self.ensure_one()
        return self._action_for(
            "sms.conversation.message",
            [("id", "in", self._get_message_domain_ids())],
            self.env._("Messages"),
        )

    def action_view_broadcasts(self):
        self.ensure_one()
        return self._action_for(
            "sms.campaign.broadcast",
            [("campaign_id", "=", self.id)],
            self.env._("Broadcasts"),
            {"default_campaign_id": self.id},
        )
