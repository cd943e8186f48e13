# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Two-way SMS: Surveys",
    "summary": "Answer Odoo surveys by SMS, one question at a time",
    "version": "18.0.1.0.0",
    "category": "Marketing/Surveys",
    "website": "https://github.com/sms-two-way/sms-two-way",
    "author": "SMS Two-Way contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["sms_two_way", "survey"],
    "data": [
        "security/ir.model.access.csv",
        "data/sms_keyword_data.xml",
        "data/ir_actions_server_data.xml",
        "views/survey_survey_views.xml",
        "views/survey_user_input_views.xml",
        "wizard/survey_sms_invite_views.xml",
    ],
}
