from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from .common import SurveySmsCase


@tagged("post_install", "-at_install")
class TestSurveyBySms(SurveySmsCase):
    """Every supported question type, from a signed webhook to the survey's answer lines."""

    def invite(self, survey, partner=None):
        """Invite the contact and run the SMS queue the invitation wakes."""
        user_input = survey.sms_invite((partner or self.partner).ids)
        self.assertEqual(len(user_input), 1)
        self.send_queued()
        return user_input

    # ------------------------------------------------------------ fastest path
    def test_rate_one_to_five_zero_configuration(self):
        survey = self.create_survey(
            "How did we do?",
            [
                ("Rate your experience", "scale", {"scale_min": 1, "scale_max": 5}),
            ],
        )
        user_input = self.invite(survey)
        self.assertEqual((user_input.state, user_input.sms_state), ("new", "invited"))
        self.assertEqual(user_input.partner_id, self.partner)
        [invitation] = self.sent_bodies()
        self.assertIn("How did we do?", invitation)
        self.assertIn("Rate your experience", invitation)
        self.assertIn("Reply a number from 1 to 5", invitation)
        self.assertEqual(
            self.fake_twilio.message_requests()[0]["To"], self.partner_number
        )
        prompt = self.open_prompts(user_input)
        self.assertEqual(prompt.description, "How did we do?")

        self.reply("I'd say 4")
        question = survey.question_ids
        self.assertEqual(self.lines(user_input, question).mapped("value_scale"), [4])
        self.assertEqual((user_input.state, user_input.sms_state), ("done", "done"))
        self.assertTrue(user_input.end_datetime)
        self.assertEqual(prompt.state, "answered")
        self.assertEqual(self.last_sent(), "Thank you for your answers!")
        self.assertFalse(self.open_prompts())
        # Native statistics see the SMS answer.
        self.assertEqual(survey.answer_done_count, 1)

    def test_scale_out_of_range_then_zero(self):
        survey = self.create_survey(
            "NPS",
            [("Recommend us?", "scale", {"scale_min": 0, "scale_max": 10})],
            description_done="<p>Thanks a <b>lot</b>!</p><p>See you &amp; bye</p>",
        )
        user_input = self.invite(survey)
        self.reply("11")
        self.assertIn("not a number from 0 to 10", self.last_sent())
        self.assertIn("Recommend us?", self.last_sent())
        self.reply("0")
        line = self.lines(user_input, survey.question_ids)
        self.assertFalse(line.skipped, "0 is an answer, not a skip")
        self.assertEqual(line.value_scale, 0)
        self.assertEqual(self.last_sent(), "Thanks a lot!\nSee you & bye")

    # ------------------------------------------------------------ each type
    def test_choices_numerical_and_text_questions(self):
        survey = self.create_survey(
            "Visit feedback",
            [
                (
                    "Did you find what you needed?",
                    "simple_choice",
                    {"answers": ["Yes", "No", "Não sei"]},
                ),
                (
                    "Which departments?",
                    "multiple_choice",
                    {"answers": ["Bikes", "Shoes", "Tents"]},
                ),
                (
                    "How many minutes did you wait?",
                    "numerical_box",
                    {
                        "validation_required": True,
                        "validation_min_float_value": 0,
                        "validation_max_float_value": 120,
                    },
                ),
                ("Your name as on the receipt", "char_box", {}),
                ("Anything else?", "text_box", {}),
            ],
        )
        choice, multiple, numerical, char, text = survey.question_ids
        user_input = self.invite(survey)
        self.assertIn("Reply 1 for Yes, 2 for No, 3 for Não sei.", self.last_sent())

        self.reply("nao SEI!")
        self.assertEqual(
            self.lines(user_input, choice).suggested_answer_id.value, "Não sei"
        )
        self.assertEqual(user_input.state, "in_progress")
        self.assertIn("Which departments?", self.last_sent())
        self.assertIn("1 for Bikes, 2 for Shoes, 3 for Tents", self.last_sent())

        self.reply("1 3")
        self.assertEqual(
            sorted(
                self.lines(user_input, multiple).suggested_answer_id.mapped("value")
            ),
            ["Bikes", "Tents"],
        )
        self.assertIn("Reply a number from 0 to 120.", self.last_sent())

        self.reply("12,5")
        self.assertEqual(self.lines(user_input, numerical).value_numerical_box, 12.5)

        self.reply("  Alice <b>Customer</b> ")
        self.assertEqual(
            self.lines(user_input, char).value_char_box, "Alice <b>Customer</b>"
        )

        self.reply("Great shop.\nSee you!")
        self.assertEqual(
            self.lines(user_input, text).value_text_box, "Great shop.\nSee you!"
        )
        self.assertEqual(user_input.state, "done")
        self.assertEqual(len(user_input.user_input_line_ids), 6)

    def test_multiple_choice_with_commas(self):
        survey = self.create_survey(
            "Colours",
            [
                (
                    "Favourite colours",
                    "multiple_choice",
                    {"answers": ["Red", "Green", "Blue"]},
                ),
            ],
        )
        user_input = self.invite(survey)
        self.reply("2,3")
        self.assertEqual(
            user_input.user_input_line_ids.suggested_answer_id.mapped("value"),
            ["Green", "Blue"],
        )

    def test_choice_with_comment_as_answer_takes_free_text(self):
        survey = self.create_survey(
            "Source",
            [
                (
                    "How did you hear of us?",
                    "simple_choice",
                    {
                        "answers": ["Friend", "Web"],
                        "comments_allowed": True,
                        "comment_count_as_answer": True,
                    },
                ),
            ],
        )
        user_input = self.invite(survey)
        self.reply("At the farmers market")
        line = user_input.user_input_line_ids
        self.assertEqual(
            (line.answer_type, line.value_char_box),
            ("char_box", "At the farmers market"),
        )
        self.assertEqual(user_input.state, "done")

    def test_date_in_contact_language(self):
        self.env["res.lang"]._activate_lang("fr_BE")
        self.partner.lang = "fr_BE"
        survey = self.create_survey(
            "Delivery", [("When was it delivered?", "date", {})]
        )
        user_input = self.invite(survey)
        year = fields.Date.today().year
        self.assertIn(f"Reply a date, e.g. 31/12/{year}.", self.last_sent())
        self.reply("04/03/2025")
        self.assertEqual(
            user_input.user_input_line_ids.value_date, fields.Date.to_date("2025-03-04")
        )

    def test_date_us_order_and_validation_range(self):
        survey = self.create_survey(
            "Delivery",
            [
                (
                    "When was it delivered?",
                    "date",
                    {
                        "validation_required": True,
                        "validation_min_date": "2025-01-01",
                        "validation_max_date": "2025-12-31",
                    },
                )
            ],
        )
        user_input = self.invite(survey)
        self.reply("04/03/2024")
        self.assertFalse(user_input.user_input_line_ids, "out of the question's range")
        self.assertIn("not valid", self.last_sent())
        self.reply("04/03/2025")
        self.assertEqual(
            user_input.user_input_line_ids.value_date, fields.Date.to_date("2025-04-03")
        )

    def test_ambiguous_date_is_asked_again(self):
        self.env["res.lang"]._activate_lang(
            "fr_CA"
        )  # %Y-%m-%d: no day/month order to go by
        self.partner.lang = "fr_CA"
        survey = self.create_survey(
            "Delivery", [("When was it delivered?", "date", {})]
        )
        user_input = self.invite(survey)
        self.reply("04/03/2025")
        self.assertFalse(user_input.user_input_line_ids)
        self.assertIn("more than one way", self.last_sent())
        self.reply("2025-03-04")
        self.assertEqual(
            user_input.user_input_line_ids.value_date, fields.Date.to_date("2025-03-04")
        )

    def test_datetime_in_contact_time_zone(self):
        survey = self.create_survey(
            "Call back", [("When can we call you?", "datetime", {})]
        )
        user_input = self.invite(survey)
        self.assertIn("Reply a date and time", self.last_sent())
        self.reply("12/31/2025 2:30 pm")
        # 14:30 in Brussels (UTC+1 in winter) is stored in UTC, as Odoo stores datetimes.
        self.assertEqual(
            user_input.user_input_line_ids.value_datetime,
            datetime(2025, 12, 31, 13, 30),
        )

    # ------------------------------------------------------------ invalid replies
    def test_optional_question_not_understood_twice_is_skipped(self):
        survey = self.create_survey(
            "Feedback",
            [
                ("Pick one", "simple_choice", {"answers": ["A", "B"]}),
                ("Rate us", "scale", {"scale_min": 1, "scale_max": 5}),
            ],
        )
        pick, rate = survey.question_ids
        user_input = self.invite(survey)
        self.reply("banana")
        self.assertIn("did not understand your choice", self.last_sent())
        self.assertIn("Reply 1 for A, 2 for B.", self.last_sent())
        self.assertEqual(self.open_prompts(user_input).attempts, 1)
        self.reply("cherry")
        self.assertFalse(
            self.lines(user_input, pick), "nothing stored for a reply not understood"
        )
        self.assertIn("Rate us", self.last_sent())
        self.reply("5")
        self.assertEqual(self.lines(user_input, rate).value_scale, 5)
        self.assertEqual(user_input.state, "done")
        self.assertFalse(user_input.sms_conversation_id.needs_reply)

    def test_mandatory_question_not_understood_twice_is_handed_off(self):
        survey = self.create_survey(
            "Feedback",
            [
                (
                    "Rate us",
                    "scale",
                    {"scale_min": 1, "scale_max": 5, "constr_mandatory": True},
                ),
                ("Why?", "text_box", {}),
            ],
        )
        user_input = self.invite(survey)
        self.reply("great")
        self.reply("really great")
        conversation = user_input.sms_conversation_id
        self.assertEqual(user_input.sms_state, "handoff")
        self.assertFalse(user_input.user_input_line_ids)
        self.assertTrue(conversation.needs_reply)
        self.assertFalse(self.open_prompts())
        self.assertNotIn("Why?", " ".join(self.sent_bodies()))
        self.assertEqual(survey.sms_in_progress_count, 1)
        # Staff sorted it out: the question is asked again and answered.
        sent = len(self.sent_bodies())
        user_input.action_sms_resume()
        self.assertEqual(
            len(self.sent_bodies()), sent, "queued, not sent by the button"
        )
        self.send_queued()
        self.assertIn("Rate us", self.last_sent())
        self.reply("4")
        self.assertEqual(user_input.user_input_line_ids.value_scale, 4)
        self.assertIn("Why?", self.last_sent())

    # ------------------------------------------------------------ conditions
    def test_conditional_questions(self):
        survey = self.create_survey(
            "Support",
            [
                (
                    "Was your problem solved?",
                    "simple_choice",
                    {"answers": ["Yes", "No"]},
                ),
                ("What went wrong?", "text_box", {}),
                ("Rate the support", "scale", {"scale_min": 1, "scale_max": 5}),
            ],
        )
        solved, wrong, rate = survey.question_ids
        wrong.triggering_answer_ids = solved.suggested_answer_ids.filtered(
            lambda a: a.value == "No"
        )

        happy = self.invite(survey)
        self.reply("yes")
        self.assertIn("Rate the support", self.last_sent())
        self.reply("5")
        self.assertEqual(happy.state, "done")
        self.assertEqual(happy.user_input_line_ids.question_id, solved | rate)

        happy_again = self.env["res.partner"].create(
            {"name": "Bob", "mobile": "+32470555666"}
        )
        unhappy = self.invite(survey, happy_again)
        self.reply("2", sender="+32470555666")
        self.assertIn("What went wrong?", self.last_sent())
        self.reply("It still crashes", sender="+32470555666")
        self.reply("2", sender="+32470555666")
        self.assertEqual(unhappy.state, "done")
        self.assertEqual(self.lines(unhappy, wrong).value_text_box, "It still crashes")

    def test_unsupported_question_is_skipped_with_a_note(self):
        survey = self.create_survey(
            "Mixed",
            [
                ("Grid", "matrix", {"answers": ["Good", "Bad"]}),
                ("Rate us", "scale", {"scale_min": 1, "scale_max": 5}),
            ],
        )
        self.assertFalse(survey.sms_compatible)
        self.assertEqual(survey.sms_unsupported_question_ids.mapped("title"), ["Grid"])
        user_input = self.invite(survey)
        self.assertIn("Rate us", self.last_sent())
        self.assertNotIn("Grid", self.last_sent())
        self.assertIn(
            "cannot be answered by SMS", " ".join(user_input.message_ids.mapped("body"))
        )

    # ------------------------------------------------------------ lifecycle
    def test_stop_mid_survey_abandons_the_answer(self):
        survey = self.create_survey(
            "Feedback",
            [
                ("Rate us", "scale", {"scale_min": 1, "scale_max": 5}),
                ("Why?", "text_box", {}),
            ],
        )
        user_input = self.invite(survey)
        self.reply("3")
        prompt = self.open_prompts(user_input)
        self.reply("STOP")
        self.assertEqual(prompt.state, "cancelled")
        self.assertEqual(
            (user_input.state, user_input.sms_state), ("in_progress", "abandoned")
        )
        self.assertEqual(
            len(user_input.user_input_line_ids), 1, "answers given so far are kept"
        )
        self.assertTrue(self.env["sms.consent"]._is_opted_out(self.partner_number))
        self.assertFalse(
            survey.sms_invite(self.partner.ids),
            "an opted-out contact is not invited again",
        )

    def test_no_reply_expires_after_the_survey_delay(self):
        survey = self.create_survey(
            "Feedback",
            [("Rate us", "scale", {"scale_min": 1, "scale_max": 5})],
            sms_expiry_hours=5,
        )
        user_input = self.invite(survey)
        prompt = self.open_prompts(user_input)
        expected = fields.Datetime.now() + timedelta(hours=5)
        self.assertAlmostEqual(prompt.expires_at, expected, delta=timedelta(minutes=2))
        prompt.expires_at = fields.Datetime.now() - timedelta(minutes=1)
        self.env["sms.prompt"]._cron_expire()
        self.assertEqual((user_input.state, user_input.sms_state), ("new", "expired"))
        message = self.reply("4")
        self.assertFalse(user_input.user_input_line_ids, "a late reply is no answer")
        self.assertTrue(
            message.conversation_id.needs_reply, "a person sees the late reply"
        )

    def test_two_surveys_open_for_one_number(self):
        survey_a = self.create_survey(
            "Delivery survey",
            [("Rate the delivery", "scale", {"scale_min": 1, "scale_max": 5})],
        )
        survey_b = self.create_survey(
            "Product survey",
            [("Rate the product", "scale", {"scale_min": 1, "scale_max": 5})],
        )
        input_a, input_b = self.invite(survey_a), self.invite(survey_b)
        self.reply("4")
        question = self.last_sent()
        self.assertIn("1 for Delivery survey", question)
        self.assertIn("2 for Product survey", question)
        self.assertFalse((input_a | input_b).user_input_line_ids)
        self.reply("2")
        self.assertEqual(input_b.user_input_line_ids.value_scale, 4)
        self.assertEqual(input_b.state, "done")
        self.assertFalse(input_a.user_input_line_ids)
        self.assertEqual(input_a.sms_state, "invited")
        self.reply("5")  # only one survey left open: no question asked
        self.assertEqual(input_a.user_input_line_ids.value_scale, 5)

    def test_answers_of_other_numbers_are_not_taken(self):
        survey = self.create_survey(
            "Feedback", [("Rate us", "scale", {"scale_min": 1, "scale_max": 5})]
        )
        user_input = self.invite(survey)
        self.reply("4", sender="+32470999888")
        self.assertFalse(user_input.user_input_line_ids)
        self.assertEqual(user_input.sms_state, "invited")
