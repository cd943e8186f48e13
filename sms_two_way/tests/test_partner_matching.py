from odoo.tests import tagged

from .common import SmsTwoWayCase


@tagged("post_install", "-at_install")
class TestPartnerMatching(SmsTwoWayCase):
    def _match(self, number):
        return (
            self.env["sms.conversation"]._get_or_create(self.gateway, number).partner_id
        )

    def test_national_format_matches_international_number(self):
        self.assertEqual(self._match("+32470123456"), self.partner)

    def test_international_formats_match(self):
        partner = self.env["res.partner"].create(
            {"name": "Bob", "phone": "0032 2 555 01 23"}
        )
        self.assertEqual(self._match("+3225550123"), partner)
        other = self.env["res.partner"].create(
            {"name": "Carol", "mobile": "+1 (415) 555-2671"}
        )
        self.assertEqual(self._match("+14155552671"), other)

    def test_same_digits_other_country_do_not_match(self):
        self.env["res.partner"].create({"name": "Dutch", "mobile": "+31 470 12 34 56"})
        self.assertFalse(self._match("+33470123456"))

    def test_unknown_number(self):
        self.assertFalse(self._match("+32499999999"))

    def test_several_matches_pick_deterministically(self):
        company = self.env["res.partner"].create(
            {"name": "ACME", "is_company": True, "mobile": "+32 470 55 55 55"}
        )
        person_phone = self.env["res.partner"].create(
            {"name": "Phone only", "phone": "0470555555"}
        )
        person_mobile_new = self.env["res.partner"].create(
            {"name": "Newer", "mobile": "0470/55.55.55"}
        )
        person_mobile_old = self.env["res.partner"].create(
            {"name": "Older", "mobile": "0470555555"}
        )
        # Mobile beats phone, a person beats a company, then the oldest contact.
        self.assertEqual(self._match("+32470555555"), person_mobile_new)
        self.assertLess(person_mobile_new.id, person_mobile_old.id)
        self.assertTrue(company and person_phone)

    def test_archived_contacts_ignored(self):
        self.partner.active = False
        self.assertFalse(self._match("+32470123456"))
