"""Who may invite by SMS: survey users; SMS rights alone are not enough."""

from odoo.tests import tagged

from odoo.addons.sms_two_way.tests.common import role_users

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


@tagged("post_install", "-at_install")
class TestSurveySmsAccess(SurveySmsCase):
    def test_invite_wizard_rights(self):
        users = role_users(self.env, "survey_acl", self.company, ROLES)
        self.assert_model_rights("survey.sms.invite", INVITE_RIGHTS, users)
