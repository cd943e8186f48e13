import html as htmllib
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import is_html_empty
from odoo.tools.misc import get_lang

from odoo.addons.sms_two_way.core.keywords import extract_number

from ..core import answers
from .survey_survey import DEFAULT_SMS_EXPIRY_HOURS, SMS_OPEN_STATES

PROMPT_KIND = "survey_question"


class SmsComment:
    """A free-text reply stored as the comment of a choice question."""

    def __init__(self, text):
        self.text = text


class SurveyUserInput(models.Model):
    """A survey answered by SMS, one question at a time.

    The answer is a native ``survey.user_input``: replies are stored with
    ``_save_lines`` and completion with ``_mark_done``, so they show in the
    survey's results, statistics and exports like web answers.  The question
    waiting for a reply is ``sms_question_id``; an ``sms.prompt`` of kind
    ``survey_question`` ties the contact's number to this answer.
    """

    _inherit = "survey.user_input"

    sms_conversation_id = fields.Many2one(
        "sms.conversation",
        "SMS conversation",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    sms_question_id = fields.Many2one(
        "survey.question", "Question asked by SMS", readonly=True, ondelete="set null"
    )
    sms_state = fields.Selection(
        [
            ("invited", "Invited"),
            ("in_progress", "Answering"),
            ("handoff", "Needs a person"),
            ("done", "Completed"),
            ("abandoned", "Opted out"),
            ("expired", "No reply"),
        ],
        string="SMS status",
        readonly=True,
        index=True,
        copy=False,
        help="Set on answers collected by SMS.",
    )

    # ------------------------------------------------------------ questions
    def _sms_lang(self):
        return self.partner_id.lang or self.env.lang or "en_US"

    def _sms_next_question(self, after=None):
        """The next question to text after ``after`` (the first one without it).

        Conditional questions whose triggering answers were not chosen are
        passed over, as on the web; questions SMS cannot ask are skipped
        with a note on the answer.
        """
        self.ensure_one()
        questions = self.predefined_question_ids.filtered(
            lambda q: not q.is_page
        ).sorted(key=lambda q: (q.sequence, q.id))
        if after:
            questions = (
                questions[questions.ids.index(after.id) + 1 :]
                if after in questions
                else questions.browse()
            )
        inactive = self._get_inactive_conditional_questions()
        for question in questions - inactive:
            if question.sms_compatible:
                return question
            self._sms_note(
                self.env._(
                    "Question “%s” cannot be answered by SMS: skipped.", question.title
                )
            )
        return self.env["survey.question"]

    def _sms_ask(self, question, category="direct", intro=False):
        """Text ``question`` and open the prompt its reply will answer."""
        self.ensure_one()
        self._sms_close_prompts()
        survey = self.survey_id.with_context(lang=self._sms_lang())
        hours = survey.sms_expiry_hours or DEFAULT_SMS_EXPIRY_HOURS
        self.env["sms.prompt"]._open(
            self.sms_conversation_id.sudo(),
            self,
            PROMPT_KIND,
            survey.title,
            expires_at=fields.Datetime.now() + timedelta(hours=hours),
        )
        self.write(
            {"sms_question_id": question.id, "last_displayed_page_id": question.id}
        )
        text = self._sms_question_text(question)
        self._sms_send(
            "\n".join([survey.title, text]) if intro else text, category=category
        )

    def _sms_question_text(self, question):
        """The question's title followed by how to answer it."""
        question = question.with_context(lang=self._sms_lang())
        return "\n".join(
            filter(
                None,
                [
                    question.title,
                    self.with_context(lang=self._sms_lang())._sms_instructions(
                        question
                    ),
                ],
            )
        )

    def _sms_instructions(self, question):
        qtype = question.question_type
        if qtype in ("simple_choice", "multiple_choice"):
            options = ", ".join(
                self.env._(
                    "%(number)s for %(label)s", number=number, label=answer.value
                )
                for number, answer in enumerate(question.suggested_answer_ids, start=1)
            )
            if qtype == "simple_choice":
                return self.env._("Reply %s.", options)
            return self.env._("Reply one or more numbers (e.g. 1,3): %s.", options)
        if qtype == "scale":
            text = self.env._(
                "Reply a number from %(min)s to %(max)s.",
                min=question.scale_min,
                max=question.scale_max,
            )
            labels = [
                f"{value} = {label}"
                for value, label in (
                    (question.scale_min, question.scale_min_label),
                    (question.scale_max, question.scale_max_label),
                )
                if label
            ]
            return f"{text} ({', '.join(labels)})" if labels else text
        if qtype == "numerical_box":
            if question.validation_required:
                return self.env._(
                    "Reply a number from %(min)s to %(max)s.",
                    min=_number(question.validation_min_float_value),
                    max=_number(question.validation_max_float_value),
                )
            return self.env._("Reply a number.")
        if qtype == "date":
            return self.env._(
                "Reply a date, e.g. %s.",
                self._sms_example_date().strftime(self._sms_date_format()),
            )
        if qtype == "datetime":
            example = self._sms_example_date().strftime(self._sms_date_format())
            return self.env._("Reply a date and time, e.g. %s 14:30.", example)
        return self.env._("Reply with your answer.")

    def _sms_date_format(self):
        return get_lang(self.env, self._sms_lang()).date_format or "%m/%d/%Y"

    def _sms_example_date(self):
        """31 December shows the order of day and month without ambiguity."""
        return date(fields.Date.context_today(self).year, 12, 31)

    # ------------------------------------------------------------ replies
    def _sms_answer(self, message, prompt):
        """A reply to the question ``prompt`` asked: store it and go on, or re-ask."""
        self.ensure_one()
        question = self.sms_question_id
        if (
            self.state == "done"
            or not question
            or self.sms_state not in SMS_OPEN_STATES
        ):
            prompt._close("cancelled")
            message.conversation_id._handoff(
                message, reason=self.env._("The survey this reply answers is over.")
            )
            return True
        value, problem = self.with_context(lang=self._sms_lang())._sms_read_answer(
            question, message.body or ""
        )
        if problem:
            return self._sms_invalid_answer(message, prompt, question, problem)
        if self.state == "new":
            self._mark_in_progress()
        if isinstance(value, SmsComment):
            self._save_lines(question, [], comment=value.text)
        else:
            self._save_lines(question, value)
        self.sms_state = "in_progress"
        prompt._close()
        self._sms_continue(question)
        return True

    def _sms_read_answer(self, question, text):
        """``(value for _save_lines, None)`` or ``(None, why the reply is not an answer)``."""
        reader = getattr(self, f"_sms_read_{question.question_type}")
        value, problem = reader(question, text)
        if problem is None and question.question_type in (
            "char_box",
            "numerical_box",
            "date",
            "datetime",
        ):
            errors = question.validate_question(value)
            problem = errors.get(question.id)
        return value, problem

    def _sms_read_simple_choice(self, question, text):
        index = answers.parse_choice(
            text, question.suggested_answer_ids.mapped("value")
        )
        if index is None:
            if self._sms_comment_is_answer(question):
                return SmsComment(text.strip()), None
            return None, self.env._("Sorry, I did not understand your choice.")
        return question.suggested_answer_ids[index].id, None

    def _sms_read_multiple_choice(self, question, text):
        indexes = answers.parse_choices(
            text, question.suggested_answer_ids.mapped("value")
        )
        if not indexes:
            if self._sms_comment_is_answer(question):
                return SmsComment(text.strip()), None
            return None, self.env._("Sorry, I did not understand your choices.")
        return [question.suggested_answer_ids[index].id for index in indexes], None

    def _sms_comment_is_answer(self, question):
        """A choice question whose comment counts as an answer ("Other: ...") takes any text, as on the web."""
        return question.comments_allowed and question.comment_count_as_answer

    def _sms_read_scale(self, question, text):
        number = extract_number(text)
        if number is None or not question.scale_min <= number <= question.scale_max:
            return None, self.env._(
                "Sorry, that is not a number from %(min)s to %(max)s.",
                min=question.scale_min,
                max=question.scale_max,
            )
        return str(number), None  # a string: _save_lines reads 0 as "skipped"

    def _sms_read_numerical_box(self, question, text):
        number = answers.parse_decimal(text)
        if number is None:
            return None, self.env._("Sorry, that is not a number.")
        return str(number), None

    def _sms_read_char_box(self, question, text):
        return text.strip(), None

    def _sms_read_text_box(self, question, text):
        return text.strip(), None

    def _sms_read_date(self, question, text):
        found, error = answers.parse_date(
            text,
            self._sms_date_format(),
            self._sms_lang(),
            fields.Date.context_today(self),
        )
        if error:
            return None, self._sms_date_problem(error)
        return fields.Date.to_string(found), None

    def _sms_read_datetime(self, question, text):
        found, error = answers.parse_datetime(
            text,
            self._sms_date_format(),
            self._sms_lang(),
            fields.Date.context_today(self),
        )
        if error:
            return None, self._sms_date_problem(error)
        local = found.replace(tzinfo=self._sms_timezone())
        return fields.Datetime.to_string(
            local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        ), None

    def _sms_date_problem(self, error):
        if error == answers.AMBIGUOUS:
            return self.env._("Sorry, that date can be read in more than one way.")
        return self.env._("Sorry, that is not a date I understand.")

    def _sms_timezone(self):
        """The contact's time zone: the one a typed time is meant in."""
        for name in (
            self.partner_id.tz,
            self.sms_conversation_id.company_id.partner_id.tz,
        ):
            if not name:
                continue
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
        return ZoneInfo("UTC")

    def _sms_invalid_answer(self, message, prompt, question, problem):
        """Re-ask once with a hint; then skip an optional question or hand a mandatory one to a person."""
        if not prompt.attempts:
            prompt.attempts += 1
            self._sms_send("\n".join([problem, self._sms_question_text(question)]))
            return True
        prompt._close()
        if question.constr_mandatory:
            self.sms_state = "handoff"
            reason = self.env._(
                "Survey “%(survey)s”: the answer to the mandatory question “%(question)s” "
                "was not understood twice.",
                survey=self.survey_id.title,
                question=question.title,
            )
            self._sms_note(reason)
            message.conversation_id._handoff(message, reason=reason)
            return True
        self._sms_note(
            self.env._(
                "Question “%s” skipped: the SMS answer was not understood twice.",
                question.title,
            )
        )
        self._sms_continue(question)
        return True

    def _sms_continue(self, question):
        next_question = self._sms_next_question(after=question)
        if next_question:
            self._sms_ask(next_question)
        else:
            self._sms_complete()

    def _sms_complete(self):
        """Last answer given: the answer is done (native completion) and the contact thanked."""
        self._mark_done()
        self.write({"sms_state": "done", "sms_question_id": False})
        survey = self.survey_id.with_context(lang=self._sms_lang())
        body = (
            ""
            if is_html_empty(survey.description_done)
            else _html_to_sms(survey.description_done)
        )
        self._sms_send(
            body or self.with_context(lang=self._sms_lang())._sms_default_thanks()
        )

    def _sms_default_thanks(self):
        return self.env._("Thank you for your answers!")

    # ------------------------------------------------------------ helpers
    def _sms_send(self, body, category="direct"):
        """Answers to the contact's replies are automatic replies, not capped: a survey cannot loop."""
        self.sms_conversation_id.sudo()._send_text(
            body, category=category, auto_reply=category == "direct"
        )

    def _sms_close_prompts(self, state="answered"):
        self.env["sms.prompt"].sudo().search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("state", "=", "open"),
                ("kind", "=", PROMPT_KIND),
            ]
        )._close(state)

    def _sms_note(self, body):
        self.message_post(
            body=Markup("<p>%s</p>") % body,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    # ------------------------------------------------------------ prompt hooks
    def _sms_prompt_cancelled(self, prompt):
        """The contact opted out mid-survey: the answer is abandoned, kept as is."""
        if self.sms_state in SMS_OPEN_STATES:
            self.write({"sms_state": "abandoned", "sms_question_id": False})
            self._sms_note(
                self.env._("The contact opted out of SMS: survey abandoned.")
            )

    def _sms_prompt_expired(self, prompt):
        """No reply in time: the answer stays in progress; later texts are no longer answers."""
        if self.sms_state in ("invited", "in_progress"):
            self.write({"sms_state": "expired"})
            self._sms_note(
                self.env._(
                    "No SMS reply within %s hours.", self.survey_id.sms_expiry_hours
                )
            )

    # ------------------------------------------------------------ actions
    def action_sms_resume(self):
        """Staff sorted things out with the contact: text the pending question again."""
        self.env["survey.survey"]._sms_check_sms_user()
        for user_input in self.filtered(
            lambda ui: ui.sms_state in ("handoff", "expired") and ui.state != "done"
        ):
            if user_input.env["sms.consent"]._is_opted_out(
                user_input.sms_conversation_id.number
            ):
                continue
            question = user_input.sms_question_id or user_input._sms_next_question()
            if question:
                user_input.sms_state = (
                    "in_progress" if user_input.state == "in_progress" else "invited"
                )
                user_input._sms_ask(question, category="automated")
        return True


def _html_to_sms(html):
    """Plain text of an HTML message for an SMS: paragraphs on their own lines, no markup."""
    text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6])>", "\n", str(html))
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _number(value):
    return f"{value:g}"
