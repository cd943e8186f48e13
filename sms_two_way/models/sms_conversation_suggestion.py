import logging

import requests

from odoo import api, fields, models

from ..core import placeholders
from ..core.provider_urls import credential_url_problem

_logger = logging.getLogger(__name__)

# An FAQ match this far below the threshold is "middling": the assistant may
# pick the best entry or the runner-up (or none) instead of drafting free text.
MIDDLING_BAND = 0.25
RECENT_MESSAGES = 6
SUGGESTIONS_PER_RUN = 20
DEFAULT_TIMEOUT = 10.0

SYSTEM_PROMPT = (
    "You help the staff of {company} answer customers' text messages (SMS). "
    "Draft one short, friendly SMS reply (at most 320 characters) to the customer's last message, "
    "using only the facts in the FAQ and the context below. If they do not answer the question, say that "
    "a team member will check and get back to them. Never invent prices, times or promises. "
    "Reply with the SMS text only."
)
PICK_PROMPT = (
    'A customer of {company} texted: "{text}"\n'
    "Which of these prepared answers answers it exactly? Reply with its number only, or 0 if none does.\n{choices}"
)


class SmsConversation(models.Model):
    """Suggested replies drafted by an optional AI assistant for messages handed to a person.

    Off unless an administrator sets an OpenAI-compatible chat-completions
    endpoint (URL and model) in the settings.  A handed-off message only
    marks its conversation "suggestion pending" and triggers a cron: the
    endpoint is called in the background, so a slow or failing endpoint
    never delays or breaks the processing of messages.  A suggestion is
    never sent: the rep reviews it, edits it and sends it.
    """

    _inherit = "sms.conversation"

    suggested_reply = fields.Text(
        readonly=True, help="Drafted by the AI assistant; review it before sending."
    )
    suggestion_faq_id = fields.Many2one(
        "sms.faq", "Suggested FAQ answer", readonly=True, ondelete="set null"
    )
    suggestion_state = fields.Selection(
        [
            ("pending", "Being drafted"),
            ("done", "Ready"),
            ("failed", "Failed"),
        ],
        readonly=True,
        index="btree_not_null",
    )
    suggestion_message_id = fields.Many2one(
        "sms.conversation.message", readonly=True, ondelete="set null"
    )

    # ------------------------------------------------------------ settings
    @api.model
    def _get_ai_settings(self):
        """``{url, model, api_key, timeout}`` when the assistant is configured, else None."""
        params = self.env["ir.config_parameter"].sudo()
        url, model = (
            params.get_param("sms_two_way.ai_url"),
            params.get_param("sms_two_way.ai_model"),
        )
        if not (url and model):
            return None
        # Customers' texts and the API key only travel over HTTPS (or to an allowed loopback endpoint).
        if problem := credential_url_problem(
            url, self.env["sms.gateway"]._allow_loopback_http()
        ):
            _logger.warning(
                "AI assistant off: its endpoint cannot be used (%s)", problem
            )
            return None
        try:
            timeout = float(
                params.get_param("sms_two_way.ai_timeout") or DEFAULT_TIMEOUT
            )
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        return {
            "url": url,
            "model": model,
            "api_key": params.get_param("sms_two_way.ai_api_key"),
            "timeout": max(timeout, 1.0),
        }

    # ------------------------------------------------------------ request
    def _request_reply_suggestion(self, message):
        """Queue a suggestion for ``message`` (handed off); nothing when the assistant is off."""
        self.ensure_one()
        if not self._get_ai_settings():
            return
        self.sudo().write(
            {
                "suggestion_state": "pending",
                "suggestion_message_id": message.id,
                "suggested_reply": False,
                "suggestion_faq_id": False,
            }
        )
        self.env.ref("sms_two_way.ir_cron_sms_suggest_replies").sudo()._trigger()

    @api.model
    def _cron_suggest_replies(self):
        """Draft the pending suggestions, one commit per conversation."""
        settings = self._get_ai_settings()
        pending = self.sudo().search(
            [("suggestion_state", "=", "pending")], limit=SUGGESTIONS_PER_RUN
        )
        if not settings:
            pending.write({"suggestion_state": False})
            return
        for conversation in pending:
            conversation._draft_suggestion(settings)
            if not self.env.registry.in_test_mode():
                # Each draft is kept even if a later call fails.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if len(pending) == SUGGESTIONS_PER_RUN:
            self.env.ref("sms_two_way.ir_cron_sms_suggest_replies")._trigger()

    def _draft_suggestion(self, settings):
        self.ensure_one()
        message = self.suggestion_message_id
        try:
            entry = self._pick_faq_entry(settings, message)
            if entry:
                self.write(
                    {
                        "suggested_reply": entry._render_answer(
                            self.partner_id, self.company_id
                        ),
                        "suggestion_faq_id": entry.id,
                        "suggestion_state": "done",
                    }
                )
                return
            reply = self._chat(
                settings,
                [
                    {
                        "role": "system",
                        "content": SYSTEM_PROMPT.format(company=self.company_id.name),
                    },
                    {"role": "user", "content": self._describe_for_assistant(message)},
                ],
            )
            self.write({"suggested_reply": reply[:1600], "suggestion_state": "done"})
        except (
            requests.RequestException,
            ValueError,
            KeyError,
            IndexError,
            TypeError,
        ) as error:
            _logger.warning(
                "No reply suggestion for SMS conversation %s: %s", self.id, error
            )
            self.write({"suggestion_state": "failed"})

    def _pick_faq_entry(self, settings, message):
        """For a middling FAQ match, let the assistant pick one of the closest entries or none.

        The assistant only chooses a number: what a customer may be sent is
        always an existing FAQ answer, never free text.
        """
        if not message:
            return self.env["sms.faq"]
        threshold = self.company_id.sms_faq_threshold
        matcher = self.env["sms.faq"]._get_matcher(self.company_id.id)
        found = matcher.match(message.body or "", self.partner_id.lang or None)
        if (
            found.refusal
            or not found.entry
            or found.confidence < threshold - MIDDLING_BAND
        ):
            return self.env["sms.faq"]
        candidates = [found.entry] + ([found.runner_up] if found.runner_up else [])
        entries = (
            self.env["sms.faq"]
            .sudo()
            .browse([candidate.id for candidate in candidates])
            .exists()
        )
        if not entries:
            return entries
        choices = "\n".join(
            f"{index}. {entry.answer}" for index, entry in enumerate(entries, start=1)
        )
        answer = self._chat(
            settings,
            [
                {
                    "role": "user",
                    "content": PICK_PROMPT.format(
                        company=self.company_id.name,
                        text=message.body or "",
                        choices=choices,
                    ),
                }
            ],
        )
        digits = "".join(ch for ch in answer if ch.isdigit())
        number = int(digits) if digits and len(digits) <= 2 else 0
        return (
            entries[number - 1] if 1 <= number <= len(entries) else self.env["sms.faq"]
        )

    def _describe_for_assistant(self, message):
        """What the assistant is told: the FAQ, the contact's first name, open questions, recent messages."""
        self.ensure_one()
        faqs = (
            self.env["sms.faq"].sudo().search([("company_id", "=", self.company_id.id)])
        )
        lines = ["FAQ:"] + [f"- Q: {entry.name}\n  A: {entry.answer}" for entry in faqs]
        lines += ["", "Context:"] + [f"- {line}" for line in self._get_reply_context()]
        lines += ["", "Recent messages (oldest first):"]
        recent = (
            self.env["sms.conversation.message"]
            .sudo()
            .search([("conversation_id", "=", self.id)], limit=RECENT_MESSAGES)
        )
        for line in reversed(recent):
            who = "Customer" if line.direction == "inbound" else "Us"
            lines.append(f"{who}: {line.body or ''}")
        if message:
            lines += ["", f"Customer's last message: {message.body or ''}"]
        return "\n".join(lines)

    def _get_reply_context(self):
        """Facts about the contact an assistant may use; addons add theirs (next appointment...).

        In English, like the rest of the assistant's instructions: they are a
        prompt, not a text shown to anyone.
        """
        self.ensure_one()
        facts = []
        if self.partner_id:
            facts.append(
                f"Customer's first name: {placeholders.first_name(self.partner_id.name)}"
            )
        prompts = self._get_open_prompts().sudo()
        facts += [
            f"Waiting for the customer's answer about: {prompt.description}"
            for prompt in prompts
        ]
        return facts or ["Nothing known about this customer."]

    def _chat(self, settings, messages):
        """One chat-completions call; the text of the first choice."""
        headers = {"Content-Type": "application/json"}
        if settings["api_key"]:
            headers["Authorization"] = f"Bearer {settings['api_key']}"
        response = requests.post(
            settings["url"],
            json={
                "model": settings["model"],
                "messages": messages,
                "temperature": 0.2,
                "max_tokens": 200,
            },
            headers=headers,
            timeout=settings["timeout"],
        )
        response.raise_for_status()
        return response.json()["choices"][0]["message"]["content"].strip()

    # ------------------------------------------------------------ actions
    def action_use_suggestion(self):
        """Copy the suggestion into the reply box, for the rep to edit and send."""
        self.ensure_one()
        self.write(
            {
                "reply_body": self.suggested_reply,
                "suggested_reply": False,
                "suggestion_state": False,
            }
        )
        return True
