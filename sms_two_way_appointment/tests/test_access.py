"""Who may read the confirmation analysis: SMS users of the company that asked, nobody else."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.sms_two_way.tests.common import role_users

from .common import AppointmentCase

# ``r w c u``: read, write, create, unlink; anything not listed is asserted refused.
REPORT_RIGHTS = {"admin": "r", "manager": "r", "user": "r", "marketer": "r"}


@tagged("post_install", "-at_install")
class TestAppointmentReportAccess(AppointmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = role_users(cls.env, "appt", cls.company)
        cls.company_b = cls.env["res.company"].create({"name": "Appointments B"})
        cls.user_b = new_test_user(
            cls.env,
            "appt_user_b",
            groups="base.group_user,sms_two_way.group_sms_user",
            company_id=cls.company_b.id,
        )

    def test_model_rights(self):
        self.assert_model_rights("sms.appointment.report", REPORT_RIGHTS, self.users)

    def test_rows_belong_to_the_company_that_asked(self):
        event = self.create_event(self.soon(days=2))
        self.request(event)
        self.env.flush_all()
        attendee = self.attendee(event)
        row = self.env["sms.appointment.report"].search(
            [("attendee_id", "=", attendee.id)]
        )
        self.assertEqual(row.company_id, self.company)
        user_a = self.users["user"]
        self.assertEqual(
            self.env["sms.appointment.report"]
            .with_user(user_a)
            .search([("attendee_id", "=", attendee.id)]),
            row,
        )
        self.assertFalse(
            self.env["sms.appointment.report"]
            .with_user(self.user_b)
            .search([("attendee_id", "=", attendee.id)])
        )
        with self.assertRaises(AccessError):
            row.with_user(self.user_b).read(["event_id"])
