from odoo.addons.sms_two_way.tests.common import SmsTwoWayHttpCase


class SurveySmsCase(SmsTwoWayHttpCase):
    """A survey answered over the fake Twilio gateway, replies through signed webhooks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner.write({"lang": "en_US", "tz": "Europe/Brussels"})

    @classmethod
    def create_survey(cls, title, questions, **values):
        """A survey from ``(title, question_type, extra values)`` tuples, choices given as ``answers``."""
        survey = cls.env["survey.survey"].create(
            {"title": title, "access_mode": "public", **values}
        )
        for sequence, (question_title, question_type, extra) in enumerate(
            questions, start=1
        ):
            extra = dict(extra or {})
            labels = extra.pop("answers", [])
            cls.env["survey.question"].create(
                {
                    "survey_id": survey.id,
                    "title": question_title,
                    "question_type": question_type,
                    "sequence": sequence * 10,
                    "suggested_answer_ids": [
                        (0, 0, {"value": label, "sequence": n})
                        for n, label in enumerate(labels)
                    ],
                    **extra,
                }
            )
        return survey

    def sent_bodies(self):
        return [form["Body"] for form in self.fake_twilio.message_requests()]

    def last_sent(self):
        bodies = self.sent_bodies()
        return bodies[-1] if bodies else ""

    def reply(self, body, sender=None):
        message = self.receive_sms(body, sender=sender)
        self.env.invalidate_all()
        return message

    def lines(self, user_input, question):
        return user_input.user_input_line_ids.filtered(
            lambda line: line.question_id == question
        )

    def open_prompts(self, user_input=None):
        domain = [("state", "=", "open"), ("kind", "=", "survey_question")]
        if user_input:
            domain += [
                ("res_model", "=", "survey.user_input"),
                ("res_id", "=", user_input.id),
            ]
        return self.env["sms.prompt"].sudo().search(domain)
