"""Who may invite by SMS: survey users; SMS rights alone are not enough."""

from odoo.tests import new_test_user, tagged

from .common import SurveySmsCase

# ``r w c u``: read, write, create, unlink; anything not listed is asserted refused.
INVITE_RIGHTS = {"admin": "rwc", "survey_user": "rwc", "survey_sms_user": "rwc"}
ROLES = {
    "admin": None,  # base.user_admin
    "survey_user": "base.group_user,survey.group_survey_user",
    "survey_sms_user": "base.group_user,survey.group_survey_user,sms_two_way.group_sms_user",
    "sms_user": "base.group_user,sms_two_way.group_sms_user",
    "internal": "base.group_user",
    "portal": "base.group_portal",
}
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}


@tagged("post_install", "-at_install")
class TestSurveySmsAccess(SurveySmsCase):
    def test_invite_wizard_rights(self):
        users = {
            name: self.env.ref("base.user_admin")
            if groups is None
            else new_test_user(
                self.env,
                f"survey_acl_{name}",
                groups=groups,
                company_id=self.company.id,
            )
            for name, groups in ROLES.items()
        }
        Invite = self.env["survey.sms.invite"]
        for role, user in users.items():
            allowed = INVITE_RIGHTS.get(role, "")
            for letter, operation in OPERATIONS.items():
                with self.subTest(role=role, operation=operation):
                    self.assertEqual(
                        Invite.with_user(user).has_access(operation), letter in allowed
                    )
