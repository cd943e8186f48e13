from datetime import date, datetime

from odoo.tests import BaseCase, tagged

from ..core import answers

TODAY = date(2025, 6, 1)


@tagged("post_install", "-at_install")
class TestAnswerParsing(BaseCase):
    """The reading of free-text replies, without a database."""

    def test_choice_by_number_or_label(self):
        labels = ["Yes", "No", "Não sei"]
        self.assertEqual(answers.parse_choice("2", labels), 1)
        self.assertEqual(answers.parse_choice("#1 please", labels), 0)
        self.assertEqual(answers.parse_choice("NAO SEI!", labels), 2)
        self.assertEqual(answers.parse_choice("two", labels), 1)
        self.assertIsNone(answers.parse_choice("4", labels))
        self.assertIsNone(answers.parse_choice("maybe", labels))

    def test_several_choices(self):
        labels = ["Red", "Green", "Blue", "Light blue"]
        self.assertEqual(answers.parse_choices("1,3", labels), [0, 2])
        self.assertEqual(answers.parse_choices("1 3", labels), [0, 2])
        self.assertEqual(answers.parse_choices("3, 1, 3", labels), [2, 0])
        self.assertEqual(answers.parse_choices("red and light blue", labels), [0, 3])
        self.assertIsNone(answers.parse_choices("1, 9", labels))
        self.assertIsNone(answers.parse_choices("purple", labels))

    def test_decimal(self):
        self.assertEqual(answers.parse_decimal("42,5"), 42.5)
        self.assertEqual(answers.parse_decimal("about -3 degrees"), -3.0)
        self.assertEqual(answers.parse_decimal("four"), 4.0)
        self.assertIsNone(answers.parse_decimal("3 or 4"))
        self.assertIsNone(answers.parse_decimal("lots"))

    def test_date_follows_language_order(self):
        self.assertEqual(
            answers.parse_date("04/03/2025", "%m/%d/%Y", today=TODAY),
            (date(2025, 4, 3), None),
        )
        self.assertEqual(
            answers.parse_date("04/03/2025", "%d/%m/%Y", today=TODAY),
            (date(2025, 3, 4), None),
        )
        self.assertEqual(
            answers.parse_date("4.3.25", "%d.%m.%Y", today=TODAY),
            (date(2025, 3, 4), None),
        )
        # Only one reading is a date: accepted whatever the language.
        self.assertEqual(
            answers.parse_date("25/12/2025", "%m/%d/%Y", today=TODAY),
            (date(2025, 12, 25), None),
        )
        self.assertEqual(
            answers.parse_date("2025-03-04", "%d/%m/%Y", today=TODAY),
            (date(2025, 3, 4), None),
        )

    def test_date_ambiguous_or_invalid(self):
        self.assertEqual(
            answers.parse_date("04/03/2025", "%Y-%m-%d", today=TODAY),
            (None, answers.AMBIGUOUS),
        )
        self.assertEqual(
            answers.parse_date("3 or 4 May", today=TODAY), (None, answers.AMBIGUOUS)
        )
        self.assertEqual(
            answers.parse_date("31/02/2025", "%d/%m/%Y", today=TODAY),
            (None, answers.INVALID),
        )
        self.assertEqual(
            answers.parse_date("next week", today=TODAY), (None, answers.INVALID)
        )

    def test_date_month_names(self):
        self.assertEqual(
            answers.parse_date("12 mars 2025", lang="fr_BE", today=TODAY),
            (date(2025, 3, 12), None),
        )
        self.assertEqual(
            answers.parse_date("March 12th", today=TODAY), (date(2025, 3, 12), None)
        )

    def test_datetime(self):
        self.assertEqual(
            answers.parse_datetime("12/31/2025 2:30 pm", today=TODAY),
            (datetime(2025, 12, 31, 14, 30), None),
        )
        self.assertEqual(
            answers.parse_datetime("31.12.2025 14h30", "%d.%m.%Y", today=TODAY),
            (datetime(2025, 12, 31, 14, 30), None),
        )
        self.assertEqual(
            answers.parse_datetime("31/12/2025", "%d/%m/%Y", today=TODAY),
            (None, answers.INVALID),
        )
        self.assertEqual(
            answers.parse_datetime("31/12/2025 25:00", "%d/%m/%Y", today=TODAY),
            (None, answers.INVALID),
        )

    def test_date_order(self):
        self.assertEqual(answers.date_order("%d/%m/%Y"), "dmy")
        self.assertEqual(answers.date_order("%m/%d/%y"), "mdy")
        self.assertEqual(answers.date_order("%Y-%m-%d"), "ymd")
