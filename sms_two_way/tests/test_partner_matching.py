from odoo.tests import tagged
from odoo.tools import SQL

from ..core.phone import written_forms
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

    def test_lookup_uses_the_contact_number_indexes(self):
        """The candidates come from phone_validation's indexes, not a scan of every contact."""
        conversation = self.env["sms.conversation"]._get_or_create(
            self.gateway, self.partner_number
        )
        # Enough contacts for the planner to prefer an index to a scan, as in a real database.
        self.env.cr.execute("""
            INSERT INTO res_partner (name, mobile, phone, active, type)
            SELECT 'Many ' || n, '+32 471 ' || lpad(n::text, 6, '0'), '02 555 ' || lpad(n::text, 4, '0'),
                   true, 'contact'
              FROM generate_series(1, 5000) n""")
        self.env.cr.execute("ANALYZE res_partner")
        query = conversation._get_candidate_partners_query(
            written_forms(self.partner_number)
        )
        self.env.cr.execute(SQL("EXPLAIN %s", query))
        plan = " ".join(row[0] for row in self.env.cr.fetchall())
        # phone_validation's btree (or, with pg_trgm, trigram) indexes on the stripped numbers
        self.assertRegex(
            plan, r"Index Scan on res_partner_mobile_partial_(tgm|gin_idx)"
        )
        self.assertRegex(plan, r"Index Scan on res_partner_phone_partial_(tgm|gin_idx)")
        self.assertNotIn("Seq Scan", plan)

    def test_national_number_read_in_the_contact_country_first(self):
        """A US contact written nationally can be texted even when the company has no country."""
        self.company.country_id = False
        partner = self.env["res.partner"].create(
            {
                "name": "Dana",
                "mobile": "(201) 555-0161",
                "country_id": self.env.ref("base.us").id,
            }
        )
        gateway, number = self.env["sms.conversation"]._resolve_recipient(
            partner=partner
        )
        self.assertEqual((gateway, number), (self.gateway, "+12015550161"))
        conversation = self.env["sms.conversation"]._get_for_recipient(partner=partner)
        self.assertEqual(
            (conversation.number, conversation.partner_id), ("+12015550161", partner)
        )
        self.assertEqual(self._match("+12015550161"), partner)
