from datetime import datetime, timedelta

from odoo import Command

from odoo.addons.sms_two_way.tests.common import SmsTwoWayHttpCase


class AppointmentCase(SmsTwoWayHttpCase):
    """An organizer working Mon-Fri 8-17 in Brussels and an appointment with Alice (+32470123456)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sms_auto_reply_limit = 0  # many replies per test
        cls.company.sms_appointment_lead_hours = 24
        cls.organizer = cls.env["res.users"].create(
            {
                "name": "Olivia Organizer",
                "login": "olivia_organizer",
                "email": "olivia@example.com",
                "tz": "Europe/Brussels",
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref("base.group_user").id,
                            cls.env.ref("sms_two_way.group_sms_user").id,
                        ]
                    )
                ],
            }
        )
        cls.work_calendar = cls.env["resource.calendar"].create(
            {
                "name": "Olivia 8-17",
                "tz": "Europe/Brussels",
                "company_id": cls.company.id,
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 8,
                            "hour_to": 17,
                            "day_period": "morning",
                        }
                    )
                    for day in range(5)
                ],
            }
        )
        cls.env["resource.resource"].create(
            {
                "name": "Olivia",
                "user_id": cls.organizer.id,
                "calendar_id": cls.work_calendar.id,
                "company_id": cls.company.id,
                "tz": "Europe/Brussels",
            }
        )
        cls.partner.tz = "Europe/Brussels"
        cls.partner.lang = "en_US"

    def create_event(self, start, hours=1.0, partners=None, **vals):
        """An event of the organizer with ``partners`` (default: Alice); ``start`` naive UTC."""
        partners = partners if partners is not None else self.partner
        start = start if isinstance(start, datetime) else datetime.fromisoformat(start)
        return (
            self.env["calendar.event"]
            .with_user(self.organizer)
            .create(
                {
                    "name": vals.pop("name", "Dentist"),
                    "start": start,
                    "stop": start + timedelta(hours=hours),
                    "duration": hours,
                    "user_id": self.organizer.id,
                    "partner_ids": [
                        Command.set((self.organizer.partner_id | partners).ids)
                    ],
                    **vals,
                }
            )
            .sudo()
        )

    def attendee(self, event, partner=None):
        return event.attendee_ids.filtered(
            lambda a: a.partner_id == (partner or self.partner)
        )

    def sent_bodies(self):
        return [form["Body"] for form in self.fake_twilio.message_requests()]

    def sent_to(self, number):
        return [
            form["Body"]
            for form in self.fake_twilio.message_requests()
            if form["To"] == number
        ]

    def request(self, event):
        """Ask for the confirmations of ``event`` now, as the button does, and run the SMS
        queue its requests wake; returns the button's notification."""
        action = event.with_user(self.organizer).action_sms_request_confirmation()
        self.send_queued()
        return action

    def open_prompts(self, attendee, kind=None):
        domain = [
            ("res_model", "=", "calendar.attendee"),
            ("res_id", "=", attendee.id),
            ("state", "=", "open"),
        ]
        if kind:
            domain.append(("kind", "=", kind))
        return self.env["sms.prompt"].sudo().search(domain)

    def event_notes(self, event):
        return " ".join(event.message_ids.mapped("body"))

    def soon(self, days=1, hour=9):
        """A naive UTC datetime ``days`` from now at ``hour``:00 UTC."""
        return (datetime.now() + timedelta(days=days)).replace(
            hour=hour, minute=0, second=0, microsecond=0
        )
