# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Two-way SMS: Appointments",
    "summary": "Confirm, cancel and reschedule calendar events by SMS reply",
    "version": "18.0.1.0.0",
    "category": "Productivity/Calendar",
    "website": "https://github.com/sms-two-way/sms-two-way",
    "author": "SMS Two-Way contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["sms_two_way", "calendar"],
    "data": [],
}
