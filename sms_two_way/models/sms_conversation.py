import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, plaintext2html

from odoo.addons.phone_validation.models.mail_thread_phone import PHONE_REGEX_PATTERN

from ..core import placeholders
from ..core.phone import normalize_number, written_forms
from ..core.segments import _CAPACITY, GSM7_BASIC, GSM7_EXTENSION
from .batch import write_grouped
from .sms_conversation_message import SAFE_MEDIA_TYPES
from .sms_sms import send_options_context
from .xmlid import cached_ref

_logger = logging.getLogger(__name__)

INBOX_STATES = [
    ("needs_reply", "Needs reply"),
    ("waiting", "Waiting for customer"),
    ("done", "Done"),
]


# Set in a transaction that has already asked to wake the SMS queue at its commit.
WAKE_SMS_QUEUE_KEY = "sms_two_way.wake_sms_queue"


class SmsConversation(models.Model):
    """The SMS thread between one gateway number and one customer number."""

    _name = "sms.conversation"
    _description = "SMS Conversation"
    _inherit = ["mail.thread", "mail.activity.mixin", "sms.protected.fields.mixin"]
    # Where the texts go and from which company (creation checks the gateway, see create()).
    _server_only_fields = ("gateway_id", "number", "company_id")
    _order = "needs_reply desc, last_message_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    gateway_id = fields.Many2one(
        "sms.gateway", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    number = fields.Char(
        required=True, readonly=True, index=True, help="The customer's number, E.164."
    )
    partner_id = fields.Many2one("res.partner", "Contact", index=True, tracking=True)
    user_id = fields.Many2one("res.users", "Assigned to", index=True, tracking=True)
    message_line_ids = fields.One2many(
        "sms.conversation.message", "conversation_id", "SMS Messages"
    )
    last_inbound_date = fields.Datetime(readonly=True)
    last_outbound_date = fields.Datetime(readonly=True)
    last_message_date = fields.Datetime(readonly=True, index=True)
    last_message_preview = fields.Char(readonly=True)
    inbox_state = fields.Selection(
        INBOX_STATES,
        "Inbox",
        required=True,
        readonly=True,
        default="done",
        index=True,
        tracking=True,
        group_expand="_group_expand_inbox_state",
        help="Needs reply: a message was handed to a person and no person has answered it yet; only a "
        "person's answer or 'Mark as done' clears it, never an automatic answer. Waiting for customer: "
        "a person answered last.",
    )
    needs_reply = fields.Boolean(compute="_compute_needs_reply", store=True, index=True)
    unread_count = fields.Integer(
        compute="_compute_unread_count", help="Received messages you have not seen."
    )
    reply_body = fields.Text(
        "Reply", help="Type a reply and click Send: it goes out through this gateway."
    )
    last_handoff_ack_date = fields.Datetime(readonly=True)
    prompt_ids = fields.One2many("sms.prompt", "conversation_id", "Questions")
    prompt_open_until = fields.Datetime(
        "Questions open until",
        compute="_compute_prompt_open_until",
        store=True,
        help="When the last question asked in this conversation expires: replies look "
        "for an open question only until then.",
    )
    has_processing_error = fields.Boolean(
        "Processing failed",
        compute="_compute_has_processing_error",
        search="_search_has_processing_error",
        help="A received message could not be processed automatically (see its error); a person must look.",
    )

    _sql_constraints = [
        (
            "gateway_number_unique",
            "unique(gateway_id, number)",
            "One conversation per gateway and number.",
        ),
    ]

    @api.depends("prompt_ids.expires_at")
    def _compute_prompt_open_until(self):
        """When the last question asked here expires: none can be open after that.

        An upper bound, so that a reply looks for open questions only when
        one can be open.  It follows the questions asked (and their expiry),
        not their answers: closing a question writes nothing on the
        conversation, whose row the processing of a reply may hold for
        seconds (a bound that stayed later only costs that reply one search).
        """
        last_expiry = dict(
            self.env["sms.prompt"]._read_group(
                [("conversation_id", "in", self.ids)],
                ["conversation_id"],
                ["expires_at:max"],
            )
        )
        for conversation in self:
            conversation.prompt_open_until = last_expiry.get(conversation, False)

    def _get_open_prompts(self):
        """The questions waiting for this customer's answer, without a query when none can be."""
        self.ensure_one()
        Prompt = self.env["sms.prompt"]
        if (
            not self.prompt_open_until
            or self.prompt_open_until <= fields.Datetime.now()
        ):
            return Prompt
        # Whoever routes a reply sees its conversation's questions (returned in the caller's env).
        return Prompt.browse(Prompt.sudo().search(Prompt._get_open_domain(self)).ids)

    @api.depends("inbox_state")
    def _compute_needs_reply(self):
        for conversation in self:
            conversation.needs_reply = conversation.inbox_state == "needs_reply"

    @api.model
    def _group_expand_inbox_state(self, states, domain):
        """The inbox kanban always shows its three columns, empty or not."""
        return [key for key, _label in INBOX_STATES]

    @api.depends_context("uid")
    def _compute_unread_count(self):
        """Received messages newer than the last one the current user saw, in one query."""
        counts = {}
        if self.ids:
            self.env["sms.conversation.message"].flush_model(
                ["conversation_id", "direction"]
            )
            self.env["sms.conversation.seen"].flush_model()
            self.env.cr.execute(
                SQL(
                    """SELECT m.conversation_id, count(*)
                     FROM sms_conversation_message m
                LEFT JOIN sms_conversation_seen s ON s.conversation_id = m.conversation_id AND s.user_id = %s
                    WHERE m.conversation_id = ANY(%s) AND m.direction = 'inbound'
                      AND m.id > coalesce(s.last_seen_message_id, 0)
                 GROUP BY m.conversation_id""",
                    self.env.uid,
                    self.ids,
                )
            )
            counts = dict(self.env.cr.fetchall())
        for conversation in self:
            conversation.unread_count = counts.get(conversation.id, 0)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                gateway = self.env["sms.gateway"].browse(vals.get("gateway_id"))
                gateway.check_access("read")  # a gateway of another company raises
                vals["company_id"] = gateway.company_id.id
        return super().create(vals_list)

    @api.constrains("gateway_id", "company_id")
    def _check_gateway_company(self):
        for conversation in self.sudo():
            if conversation.gateway_id.company_id != conversation.company_id:
                raise ValidationError(
                    self.env._("A conversation belongs to its gateway's company.")
                )

    @api.depends("partner_id.name", "number")
    def _compute_name(self):
        for conversation in self:
            conversation.name = conversation.partner_id.name or conversation.number

    def _compute_has_processing_error(self):
        failed = (
            self.env["sms.conversation.message"]
            .sudo()
            ._read_group(
                [("conversation_id", "in", self.ids), ("process_state", "=", "error")],
                ["conversation_id"],
            )
        )
        failed_ids = {conversation.id for [conversation] in failed}
        for conversation in self:
            conversation.has_processing_error = conversation.id in failed_ids

    def _search_has_processing_error(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on processing errors."))
        domain = [("message_line_ids.process_state", "=", "error")]
        return domain if (operator == "=") == value else ["!", *domain]

    # ------------------------------------------------------------ lookup
    @api.model
    def _get_or_create(self, gateway, number, partner=None, match_partner=True):
        """The conversation of ``number`` on ``gateway``, created when new (see :meth:`_get_or_create_many`)."""
        return self._get_or_create_many(
            gateway, [number], [partner], match_partner=match_partner
        )[0]

    @api.model
    def _get_or_create_many(self, gateway, numbers, partners=None, match_partner=True):
        """The conversation of each of ``numbers`` on ``gateway``, in order, created when new.

        A constant number of queries for the whole list (a send batch pays
        them once): one search, and for new numbers one insert and one search.
        A new conversation gets its entry of ``partners``, else (with
        ``match_partner``) the contact whose number it is; an existing one
        without contact gets its entry of ``partners``.

        The rows are inserted with ``ON CONFLICT DO NOTHING`` so that two
        first messages from one number arriving at once cannot both create
        it: under Odoo's repeatable-read isolation the loser gets a
        serialization failure, and Odoo retries its whole request.
        """
        partners = partners or [None] * len(numbers)
        found = self._find_by_numbers(gateway, numbers)
        new_numbers = list(dict.fromkeys(n for n in numbers if n not in found))
        if new_numbers:
            self.flush_model()
            self.env.cr.execute(
                SQL(
                    """INSERT INTO sms_conversation (gateway_id, company_id, number, name, inbox_state, needs_reply,
                                                 create_uid, write_uid, create_date, write_date)
                   SELECT %(gateway)s, %(company)s, number, number, 'done', false, %(uid)s, %(uid)s,
                          now() at time zone 'UTC', now() at time zone 'UTC'
                     FROM unnest(%(numbers)s::varchar[]) AS number
                   ON CONFLICT (gateway_id, number) DO NOTHING""",
                    gateway=gateway.id,
                    company=gateway.company_id.id,
                    uid=self.env.uid,
                    numbers=new_numbers,
                ),
                log_exceptions=False,
            )  # the expected serialization failure is not an error
            created = self._find_by_numbers(gateway, new_numbers)
        else:
            created = {}
        conversations, fresh = [], set(created)
        for number, partner in zip(numbers, partners, strict=True):
            conversation = found.get(number) or created[number]
            if number in fresh:  # just created: its contact is given or matched once
                fresh.discard(number)
                if partner or match_partner:
                    # The first contact of a new conversation is no change: nothing to track.
                    conversation.with_context(tracking_disable=True).partner_id = (
                        partner or conversation._match_partner()
                    )
            elif partner and not conversation.partner_id:
                conversation.partner_id = partner
            conversations.append(conversation)
        return conversations

    @api.model
    def _find_by_numbers(self, gateway, numbers):
        """``{number: conversation}`` of ``gateway`` for ``numbers``, in one query."""
        return {
            conversation.number: conversation
            for conversation in self.search(
                [("gateway_id", "=", gateway.id), ("number", "in", list(set(numbers)))]
            )
        }

    def _match_partner(self):
        """The contact whose mobile or phone is this number, or no contact.

        Candidates come from the indexes Odoo keeps on contacts' numbers with
        spaces and punctuation removed (``phone_validation``), looked up with
        every common written form of the number (:func:`written_forms`): no
        scan of all contacts.  Each candidate's number is then read in the
        contact's own country, else the company's.  When several contacts
        share the number the choice is deterministic: a mobile match beats a
        phone match, a person beats a company, then the oldest contact
        (lowest id) wins.
        """
        self.ensure_one()
        forms = tuple(written_forms(self.number))
        if not forms:
            return self.env["res.partner"]
        self.env["res.partner"].flush_model(["mobile", "phone", "active", "company_id"])
        self.env.cr.execute(self._get_candidate_partners_query(forms))
        candidates = self.env["res.partner"].browse(
            [row[0] for row in self.env.cr.fetchall()]
        )
        ranked = []
        for partner in candidates:
            region = (partner.country_id or self.company_id.country_id).code
            for rank, field in enumerate(("mobile", "phone")):
                if (
                    partner[field]
                    and normalize_number(partner[field], region) == self.number
                ):
                    ranked.append((rank, partner.is_company, partner.id, partner))
                    break
        return min(ranked)[-1] if ranked else self.env["res.partner"]

    def _get_candidate_partners_query(self, forms):
        """Active contacts of this company whose mobile or phone is written as one of ``forms``.

        Written exactly like ``phone_validation``'s indexes on those columns,
        so that PostgreSQL looks them up instead of scanning.
        """
        return SQL(
            """SELECT id FROM res_partner
                WHERE active AND (company_id IS NULL OR company_id = %(company)s)
                  AND ((mobile IS NOT NULL
                        AND regexp_replace(mobile::text, %(pattern)s::text, ''::text, 'g'::text) IN %(forms)s)
                       OR (phone IS NOT NULL
                           AND regexp_replace(phone::text, %(pattern)s::text, ''::text, 'g'::text) IN %(forms)s))""",
            company=self.company_id.id,
            pattern=PHONE_REGEX_PATTERN,
            forms=tuple(forms),
        )

    @api.model
    def _get_for_recipient(self, partner=None, number=None, company=None):
        """The conversation to text ``partner`` (or a bare ``number``) in, created when new.

        Addons use it before opening an ``sms.prompt``.  Returned in the caller's environment.  Empty when the
        company has no gateway or the number is not valid.
        """
        gateway, e164 = self._resolve_recipient(partner, number, company)
        if not e164:
            return self.browse()
        # Created with local sudo, returned in the caller's environment.
        return self.browse(
            self.sudo()._get_or_create(gateway, e164, partner=partner or None).id
        )

    @api.model
    def _resolve_recipient(self, partner=None, number=None, company=None):
        """``(gateway, E.164 number)`` to text ``partner`` or ``number`` at, creating nothing.

        The number is ``False`` when the company has no gateway or the number
        is not valid; previews use this to tell who can be reached.
        """
        company = company or (partner and partner.company_id) or self.env.company
        number = number or (partner and (partner.mobile or partner.phone))
        gateway = self.env["sms.gateway"].sudo()._get_for_number(number, company)
        country = partner.country_id if partner else None
        return gateway, bool(gateway and number) and gateway._normalize_number(
            number, country=country
        )

    # ------------------------------------------------------------ bookkeeping
    def _prepare_inbound_message_vals(self, payload):
        self.ensure_one()
        return {
            "conversation_id": self.id,
            "gateway_id": self.gateway_id.id,
            "direction": "inbound",
            "state": "received",
            "body": payload.get("body") or "",
            "provider_sid": payload["provider_sid"],
            "process_state": "pending",
            "media_urls": payload.get("media") or False,
        }

    def _register_inbound(self, message):
        # Untracked fields: no chatter tracking to prepare (as _register_outbound).
        self.with_context(mail_notrack=True).write(
            {
                "last_inbound_date": message.create_date,
                "last_message_date": message.create_date,
                "last_message_preview": (message.body or "")[:120],
            }
        )

    @api.model
    def _register_outbound(self, messages):
        """Record new outbound ``messages`` on their conversations, without a query per message.

        Automatic answers neither hide what the customer said nor settle the
        conversation; a person's answer settles it.  Only untracked fields
        are written here, so chatter tracking is not prepared for them.
        """
        # Field by field, the last message to a conversation wins: an automatic
        # answer after an invitation in the same batch keeps the invitation's preview.
        vals_of_conversation = defaultdict(dict)
        for message in messages:
            vals = vals_of_conversation[message.conversation_id.id]
            vals["last_outbound_date"] = message.create_date
            if not message.is_auto_reply and message.category != "compliance":
                vals.update(
                    last_message_date=message.create_date,
                    last_message_preview=(message.body or "")[:120],
                )
        # All in one environment: a with_context per message costs a scan of the
        # transaction's environments each.
        write_grouped(self.with_context(mail_notrack=True), vals_of_conversation)
        for author, authored in (
            messages.filtered("author_id").grouped("author_id").items()
        ):
            authored.conversation_id._settle("waiting", author)

    # ------------------------------------------------------------ actions
    def _get_form_action(self):
        """The window action opening this conversation (an empty form without one): what
        contacts, leads and attendees link to."""
        return {
            "type": "ir.actions.act_window",
            "res_model": "sms.conversation",
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_send_reply(self):
        """Send ``reply_body`` to the customer through this conversation's gateway."""
        self.ensure_one()
        self.check_access("write")
        body = (self.reply_body or "").strip()
        if not body:
            raise UserError(self.env._("Type a reply first."))
        self._send_text(body, category="direct")
        self.reply_body = False
        return True

    # ------------------------------------------------------------ chat thread (static/src/js/chat)
    def get_chat_thread(self, limit=200):
        """What the chat thread widget shows: the last ``limit`` messages, oldest first."""
        self.ensure_one()
        self.check_access("read")
        messages = self.env[
            "sms.conversation.message"
        ].search(
            [("conversation_id", "=", self.id)],
            order="id desc",  # arrival order: an answer queued while processing may carry an older create_date
            limit=limit,
        )
        return {
            "messages": [
                message._get_chat_values() for message in messages.sorted("id")
            ],
            "inbox_state": self.inbox_state,
            "unread_count": self.unread_count,
        }

    def get_composer_info(self):
        """What the composer needs: the GSM-7 alphabet of ``core.segments`` (one source
        of truth for the counter), the name placeholder, and warnings before sending."""
        self.ensure_one()
        self.check_access("read")
        warnings = []
        if self.env["sms.consent"]._is_opted_out(self.number):
            warnings.append(
                self.env._(
                    "%s opted out of SMS: texts to this number are refused.", self.name
                )
            )
        now = fields.Datetime.now()
        not_before = self._get_allowed_time(now)
        if not_before > now:
            when = fields.Datetime.context_timestamp(self, not_before).strftime(
                "%Y-%m-%d %H:%M"
            )
            warnings.append(
                self.env._(
                    "It is outside %(name)s's allowed hours: consider Send later (allowed from %(when)s).",
                    name=self.name,
                    when=when,
                )
            )
        return {
            **self._get_segment_alphabet(),
            "name": self.partner_id.name or "",
            "warnings": warnings,
            "allowed_from": not_before > now and fields.Datetime.to_string(not_before),
        }

    @api.model
    def _get_segment_alphabet(self):
        """The tables of ``core.segments`` for the composer's counter (sms_segments.js)."""
        return {
            "gsm7_basic": "".join(sorted(GSM7_BASIC)),
            "gsm7_extension": "".join(sorted(GSM7_EXTENSION)),
            "capacity": {
                encoding: list(sizes) for encoding, sizes in _CAPACITY.items()
            },
        }

    def send_chat_reply(self, body, send_after=None, attachment_ids=None):
        """The composer's Send (or Send later, from ``send_after``, naive UTC).

        ``attachment_ids``: files the user uploaded on this conversation, sent
        as MMS media where the provider carries them.
        """
        self.ensure_one()
        body = placeholders.render(
            (body or "").strip(), {"name": self.partner_id.name or ""}
        )
        attachments = self.env["ir.attachment"].browse(attachment_ids or [])
        if not body and not attachments:
            raise UserError(self.env._("Type a reply first."))
        self.check_access("write")
        attachments.check_access("read")
        if any(a.res_model != self._name or a.res_id != self.id for a in attachments):
            raise UserError(
                self.env._("Only files uploaded in this conversation can be sent.")
            )
        if any(
            a.mimetype not in SAFE_MEDIA_TYPES for a in attachments
        ):  # served on a public URL
            raise UserError(
                self.env._(
                    "Only pictures, sound, video, PDF, vCard and text files can be sent."
                )
            )
        if send_after:  # later, and never inside the recipient's quiet hours
            send_after = self._get_allowed_time(fields.Datetime.to_datetime(send_after))
        self._send_text(
            body,
            category="direct",
            send_after=send_after,
            attachment_ids=attachments.ids,
        )
        self.reply_body = False  # the draft (e.g. a suggested reply) is sent
        return self.get_chat_thread()

    def _get_allowed_time(self, when):
        """The first moment from ``when`` (naive UTC) an automated text may reach this number."""
        probe = self.env["sms.conversation.message"].new(
            {"conversation_id": self.id, "category": "automated"}
        )
        return probe._get_not_before(when)

    def _get_default_category(self):
        """A message to a customer who wrote recently is a direct reply; others are automated."""
        self.ensure_one()
        window = timedelta(hours=self.company_id.sms_reply_window_hours or 0)
        if (
            self.last_inbound_date
            and self.last_inbound_date >= fields.Datetime.now() - window
        ):
            return "direct"
        return "automated"

    def _send_text(
        self,
        body,
        category="direct",
        auto_reply=False,
        send_after=None,
        attachment_ids=(),
    ):
        """Send ``body`` through this gateway, on the contact's chatter when there is one.

        ``send_after`` (naive UTC) keeps it queued until then; ``attachment_ids``
        go along as MMS media where the provider carries them.

        Only what a person typed and sends themselves (``direct``, not an
        ``auto_reply``) goes out in their request, so that they see at once
        whether it left.  Everything automated (automatic answers,
        compliance answers, confirmation requests, survey questions...) is
        queued as ``sms.sms`` and the SMS queue is woken at once: no provider
        is called inside the caller's transaction (the processing of an
        inbound message, a button, a cron), so a slow provider never holds it,
        and what the caller recorded about the text (a question asked, a
        request marked) commits together with the queued SMS or not at all.
        The queue sends it through the same exit point with the same kind,
        consent and quiet-hours checks (``sms.gateway._send_sms_records``).
        """
        self.ensure_one()
        queue = auto_reply or category != "direct"
        sender = self.with_context(
            **send_options_context(
                self.gateway_id,
                category,
                auto_reply,
                not_before=send_after,
                attachment_ids=attachment_ids,
            )
        )
        if self.partner_id:
            # Whoever may answer the conversation may post the SMS on the contact's chatter, even
            # without the right to edit contacts: local sudo, the message is still authored by them.
            sender.partner_id.sudo()._message_sms(
                body,
                author_id=self.env.user.partner_id.id,
                partner_ids=self.partner_id.ids,
                sms_pid_to_number={self.partner_id.id: self.number},
                put_in_queue=queue,
            )
        else:
            sms = (
                sender.env["sms.sms"]
                .sudo()
                .create({"number": self.number, "body": body})
            )
            if not queue:
                sms.send(raise_exception=False)
        if queue:
            self._wake_sms_queue()

    def _wake_sms_queue(self):
        """Wake Odoo's SMS queue once, when this transaction commits, however many texts it queued.

        Each wake-up (``ir.cron._trigger``) makes Odoo open a new PostgreSQL
        connection after the commit to notify the cron workers: once per
        transaction instead of once per text (an invitation wizard or the
        appointment cron queue hundreds).  Registered as a precommit hook, the
        trigger is written with the texts it wakes.
        """
        data = self.env.cr.precommit.data
        if data.get(WAKE_SMS_QUEUE_KEY):
            return
        data[WAKE_SMS_QUEUE_KEY] = True
        env = self.env

        @env.cr.precommit.add
        def wake():
            env.cr.precommit.data.pop(WAKE_SMS_QUEUE_KEY, None)
            cached_ref(env, "sms.ir_cron_sms_scheduler_action").sudo()._trigger()

    def _send_auto_reply(self, body):
        """An answer sent by automation, capped per hour so two robots cannot loop."""
        self.ensure_one()
        since = fields.Datetime.now() - timedelta(hours=1)
        sent = (
            self.env["sms.conversation.message"]
            .sudo()
            .search_count(
                [
                    ("conversation_id", "=", self.id),
                    ("is_auto_reply", "=", True),
                    ("create_date", ">=", since),
                ]
            )
        )
        limit = self.company_id.sms_auto_reply_limit
        if limit and sent >= limit:
            _logger.warning(
                "Auto-reply to conversation %s skipped: %s sent in the last hour",
                self.id,
                sent,
            )
            return False
        if self.env["sms.consent"]._is_opted_out(self.number):
            return False
        self._send_text(body, category="direct", auto_reply=True)
        return True

    def _handoff(self, message, reason=None, acknowledge=True):
        """No automation handles ``message``: a person must answer it.

        The conversation needs a reply until a person answers or marks it
        done (see ``_settle``), goes to the contact's salesperson (else the
        company's handoff user or team, see ``res.company._get_sms_handoff_user``),
        who gets one "SMS reply" activity; the customer is told someone will
        answer, at most once a day, unless ``acknowledge`` is false (texts
        that look machine-generated get no answer, to avoid loops).
        """
        self.ensure_one()
        message.handled_by = "handoff"
        company = self.company_id
        vals = {}
        if self.inbox_state != "needs_reply":
            vals["inbox_state"] = "needs_reply"
        if not self.user_id and (
            user := self.partner_id.user_id or company._get_sms_handoff_user()
        ):
            vals["user_id"] = user.id
        # Most replies arrive while the conversation already needs one: nothing to write (or track) then.
        if vals:
            # The reply activity notifies the assignee (see _notify_assignee); no second "assigned to you".
            self.with_context(mail_auto_subscribe_no_notify=True).write(vals)
        if self.user_id:
            self._notify_assignee(message, reason)
        if not acknowledge:
            return
        now = fields.Datetime.now()
        ack = company.sms_handoff_ack_body
        if ack and (
            not self.last_handoff_ack_date
            or self.last_handoff_ack_date <= now - timedelta(days=1)
        ):
            if self._send_auto_reply(ack):
                self.last_handoff_ack_date = now

    def _notify_assignee(self, message, reason=None):
        """One open "SMS reply" activity per conversation: later replies only refresh its note.

        Creating it notifies the assignee (Odoo's inbox or e-mail, per their
        preference) once per burst: replies that arrive while the
        conversation still needs a reply only update the note.
        """
        note = Markup("<p>%s</p>%s") % (
            reason or self.env._("A customer reply needs an answer."),
            plaintext2html(message.body or ""),
        )
        activity = self._get_reply_activities()
        if activity:
            activity[1:].unlink()
            activity[:1].write({"note": note, "user_id": self.user_id.id})
            return
        # Odoo notifies a new activity's assignee, unless they opted out of it for SMS.
        self.with_context(
            mail_activity_quick_update=not self.user_id.sms_notify_replies
        ).activity_schedule(
            "sms_two_way.mail_activity_data_sms_reply",
            user_id=self.user_id.id,
            summary=self.env._("SMS from %s needs a reply", self.name),
            note=note,
        )

    def _get_reply_activities(self):
        reply_type = cached_ref(self.env, "sms_two_way.mail_activity_data_sms_reply")
        return self.sudo().activity_ids.filtered(
            lambda activity: activity.activity_type_id == reply_type
        )

    def _settle(self, inbox_state, user):
        """A person answered (``waiting``) or marked the conversation ``done``.

        This is the only way out of "needs reply": the reply activity is
        closed at the same moment, so flag, activity and inbox always agree,
        and the conversation counts as read for ``user``.  The chatter tracks
        the change, except a person's text to a conversation that needed no
        reply: the text is in the thread already, and tracking it logged one
        chatter message per conversation of a bulk send (most of its time).
        """
        untracked = self.filtered(
            lambda c: inbox_state == "waiting" and c.inbox_state != "needs_reply"
        )
        untracked.with_context(mail_notrack=True).write({"inbox_state": inbox_state})
        (self - untracked).write({"inbox_state": inbox_state})
        for conversation in self:
            conversation._get_reply_activities().with_context(
                sms_two_way_settling=True
            ).action_feedback(
                feedback=self.env._("Answered by SMS.")
                if inbox_state == "waiting"
                else self.env._("Marked as done.")
            )
        self.sudo()._mark_seen(user)

    def write(self, vals):
        result = super().write(vals)
        if vals.get("user_id"):
            for conversation in self.filtered(
                "needs_reply"
            ):  # the activity follows the assignee
                conversation._get_reply_activities().write(
                    {"user_id": conversation.user_id.id}
                )
        return result

    def _mark_seen(self, user):
        """Remember the last received message ``user`` has seen in these conversations."""
        self.env["sms.conversation.message"].flush_model(
            ["conversation_id", "direction"]
        )
        self.env.cr.execute(
            SQL(
                """INSERT INTO sms_conversation_seen (conversation_id, user_id, last_seen_message_id)
                    SELECT c.id, %s, coalesce(max(m.id), 0)
                      FROM sms_conversation c
                 LEFT JOIN sms_conversation_message m ON m.conversation_id = c.id AND m.direction = 'inbound'
                     WHERE c.id = ANY(%s)
                  GROUP BY c.id
               ON CONFLICT (conversation_id, user_id) DO UPDATE
                       SET last_seen_message_id = greatest(sms_conversation_seen.last_seen_message_id,
                                                           excluded.last_seen_message_id)""",
                user.id,
                self.ids,
            )
        )
        self.invalidate_recordset(["unread_count"])

    def action_mark_seen(self):
        """The chat thread shows these conversations to the current user."""
        self.check_access("read")
        self.sudo()._mark_seen(self.env.user)
        return True

    def action_retry_processing(self):
        """Retry button (SMS managers): process this conversation's failed messages again."""
        return self.message_line_ids.filtered(
            lambda m: m.process_state == "error"
        ).action_retry_processing()

    def action_mark_done(self):
        self.check_access("write")
        self._settle("done", self.env.user)
        return True

    def action_create_lead(self):
        """One click from a conversation to a CRM lead carrying the number and the last reply."""
        self.ensure_one()
        last_inbound = self.message_line_ids.filtered(
            lambda m: m.direction == "inbound"
        )[:1]
        lead = self.env["crm.lead"].create(
            {
                "name": self.env._("SMS from %s", self.name),
                "partner_id": self.partner_id.id,
                "mobile": self.number,
                "user_id": (self.user_id or self.env.user).id,
                "description": plaintext2html(last_inbound.body or ""),
                "sms_conversation_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": lead.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_create_contact(self):
        """One click from an unknown number to a contact holding its past messages."""
        self.ensure_one()
        if not self.partner_id:
            self.partner_id = self.env["res.partner"].create(
                {"name": self.number, "mobile": self.number}
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "target": "current",
        }
