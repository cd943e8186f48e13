# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Two-way SMS: Appointments",
    "summary": "Confirm, cancel and reschedule calendar events by SMS reply",
    "version": "18.0.1.0.0",
    "category": "Productivity/Calendar",
    "website": "https://github.com/sms-two-way/sms-two-way",
    "author": "SMS Two-Way contributors",
    "license": "LGPL-3",
    "depends": ["sms_two_way", "calendar", "resource"],
    "data": [
        "security/ir.model.access.csv",
        "security/sms_two_way_appointment_security.xml",
        "data/sms_template_data.xml",
        "data/sms_keyword_data.xml",
        "data/ir_cron_data.xml",
        "views/calendar_event_views.xml",
        "views/calendar_event_type_views.xml",
        "views/res_config_settings_views.xml",
        "report/sms_appointment_report_views.xml",
    ],
    "demo": [
        "demo/calendar_event_demo.xml",
    ],
    "installable": True,
}
