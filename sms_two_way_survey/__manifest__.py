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
    "data": [],
}
