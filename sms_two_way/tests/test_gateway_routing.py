from odoo.tests import tagged

from ..models.sms_sms import send_options_context
from .common import SmsTwoWayCase


@tagged("post_install", "-at_install")
class TestGatewayRouting(SmsTwoWayCase):
    """Every ``sms.sms`` Odoo creates gets its gateway in a constant number of queries per batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.numbers = [f"+3247055{index:04d}" for index in range(30)]
        # Half the numbers already talk to the simulator: the company default (Twilio) must not take them.
        cls.env["sms.conversation"].create(
            [
                {
                    "gateway_id": cls.simulator.id,
                    "company_id": cls.company.id,
                    "number": number,
                }
                for number in cls.numbers[::2]
            ]
        )
        cls.bare_company = cls.env["res.company"].create({"name": "No gateway Ltd"})
        cls.env.user.company_ids |= cls.bare_company

    def _create_sms(self, numbers, company=None):
        return (
            self.env["sms.sms"]
            .with_company(company or self.company)
            .create(
                [
                    {"number": number, "body": "Hi", "state": "outgoing"}
                    for number in numbers
                ]
            )
        )

    def _queries_to_create(self, numbers, company=None):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self._create_sms(numbers, company)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_gateway_lookup_is_one_per_batch(self):
        self._create_sms(self.numbers[:1])  # warm the per-process caches
        one = self._queries_to_create(self.numbers[1:2])
        with self.assertQueryCount(one):
            self.env.invalidate_all()
            sms = self._create_sms(self.numbers)
        self.assertEqual(sms.gateway_id, self.gateway | self.simulator)
        for record, number in zip(sms, self.numbers, strict=False):
            expected = self.simulator if number in self.numbers[::2] else self.gateway
            self.assertEqual(record.gateway_id, expected, number)

    def test_company_without_gateway_pays_no_query(self):
        Gateway = self.env["sms.gateway"]
        Gateway._get_for_numbers(
            self.numbers, self.bare_company
        )  # warm the cache of companies with gateways
        with self.assertQueryCount(0):
            gateways = Gateway._get_for_numbers(self.numbers, self.bare_company)
        self.assertEqual(gateways, [Gateway] * len(self.numbers))
        self.assertFalse(
            self._create_sms(self.numbers[:3], self.bare_company).gateway_id,
            "Odoo's IAP path",
        )

    def test_gateway_changes_reroute_at_once(self):
        self._create_sms(
            self.numbers[:1], self.bare_company
        )  # cache: this company has no gateway
        gateway = self.env["sms.gateway"].create(
            {"name": "New", "provider": "simulator", "company_id": self.bare_company.id}
        )
        self.assertEqual(
            self._create_sms(self.numbers[:1], self.bare_company).gateway_id, gateway
        )
        gateway.active = False
        self.assertFalse(
            self._create_sms(self.numbers[:1], self.bare_company).gateway_id
        )
        gateway.write({"active": True, "company_id": self.company.id})
        self.assertFalse(
            self._create_sms(self.numbers[:1], self.bare_company).gateway_id
        )
        other = self.env["sms.gateway"].create(
            {
                "name": "Other",
                "provider": "simulator",
                "company_id": self.bare_company.id,
            }
        )
        self.assertEqual(
            self._create_sms(self.numbers[:1], self.bare_company).gateway_id, other
        )
        other.unlink()
        self.assertFalse(
            self._create_sms(self.numbers[:1], self.bare_company).gateway_id
        )

    def test_explicit_gateway_and_explicit_values_win(self):
        sms = (
            self.env["sms.sms"]
            .with_context(**send_options_context(self.simulator))
            .create({"number": self.numbers[1], "body": "Hi"})
        )
        self.assertEqual(
            sms.gateway_id,
            self.simulator,
            "the sender's chosen gateway, not the default",
        )
        sms = self.env["sms.sms"].create(
            {"number": self.numbers[0], "body": "Hi", "gateway_id": self.gateway.id}
        )
        self.assertEqual(sms.gateway_id, self.gateway, "an explicit value is kept")

    def test_archived_gateway_conversations_fall_back_to_the_default(self):
        self.simulator.active = False
        sms = self._create_sms(self.numbers[:2])
        self.assertEqual(sms.gateway_id, self.gateway)

    def test_mass_sms_composer_goes_through_the_gateways(self):
        """Odoo's mass SMS of a company with a gateway: each SMS leaves by the customer's gateway."""
        partners = self.env["res.partner"].create(
            [
                {"name": f"Customer {index}", "mobile": number}
                for index, number in enumerate(self.numbers[:4])
            ]
        )
        composer = (
            self.env["sms.composer"]
            .with_context(
                active_model="res.partner",
                active_ids=partners.ids,
                default_composition_mode="mass",
            )
            .create({"body": "Spring sale", "mass_keep_log": True})
        )
        composer.action_send_sms()
        self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(
            sorted(form["To"] for form in self.fake_twilio.message_requests()),
            [self.numbers[1], self.numbers[3]],
            "new numbers: the company's default gateway",
        )
        on_simulator = self.find_messages(
            direction="outbound", gateway_id=self.simulator.id
        )
        self.assertEqual(
            sorted(on_simulator.conversation_id.mapped("number")),
            [self.numbers[0], self.numbers[2]],
            "numbers already texting the simulator keep it",
        )
        self.assertEqual(set(on_simulator.mapped("body")), {"Spring sale"})
