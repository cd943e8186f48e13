from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import AppointmentCase

# Monday 7 January 2030, 07:00 UTC = 08:00 in Brussels (UTC+1 in winter).
MONDAY = datetime(2030, 1, 7, 7, 0)


def local(day, hour, minute=0):
    """Naive UTC of ``hour``:``minute`` in Brussels on January ``day`` 2030."""
    return datetime(2030, 1, day, hour, minute) - timedelta(hours=1)


@tagged("post_install", "-at_install")
class TestSlots(AppointmentCase):
    def busy(self, start, stop, **vals):
        return self.env["calendar.event"].create(
            {
                "name": vals.pop("name", "Busy"),
                "user_id": self.organizer.id,
                "start": start,
                "stop": stop,
                "partner_ids": [(6, 0, self.organizer.partner_id.ids)],
                **vals,
            }
        )

    def slots(self, event, at=MONDAY):
        with freeze_time(at):
            return [start for start, _stop in event._sms_find_free_slots()]

    def test_first_free_slot_of_each_day_within_working_hours(self):
        event = self.create_event(local(9, 10))  # Wednesday 10:00, one hour
        self.busy(local(7, 10), local(7, 12))  # Monday 10-12 taken
        # Two hours' notice from Monday 08:00: 10:00 at the earliest, busy until 12:00.
        self.assertEqual(self.slots(event), [local(7, 12), local(8, 8), local(9, 8)])

    def test_same_duration_end_of_day_weekend_and_own_time(self):
        event = self.create_event(local(16, 8), hours=2)  # Wednesday 16th, 08:00-10:00
        # Friday 15:30: 17:30 at the earliest, after hours; no weekend work.
        with freeze_time(local(11, 15, 30)):
            slots = event._sms_find_free_slots()
        self.assertEqual(
            [start for start, _stop in slots],
            [local(14, 8), local(15, 8), local(16, 10)],
        )
        self.assertTrue(
            all(stop - start == timedelta(hours=2) for start, stop in slots)
        )

    def test_free_and_declined_events_do_not_block(self):
        event = self.create_event(local(9, 10))
        self.busy(local(7, 10), local(7, 17), show_as="free")
        both = self.organizer.partner_id | self.partner
        declined = self.busy(local(8, 8), local(8, 17), partner_ids=[(6, 0, both.ids)])
        declined.attendee_ids.filtered(
            lambda a: a.partner_id == self.organizer.partner_id
        ).do_decline()
        self.assertEqual(self.slots(event), [local(7, 10), local(8, 8), local(9, 8)])

    def test_all_day_event_blocks_the_day_and_more_slots_fill_from_earliest(self):
        event = self.create_event(local(11, 16))  # Friday 16:00
        self.busy(
            local(8, 9),
            local(8, 17),
            allday=True,
            start_date="2030-01-08",
            stop_date="2030-01-10",
        )
        self.assertEqual(self.slots(event), [local(7, 10), local(11, 8), local(14, 8)])

    def test_half_hour_steps_after_a_busy_event(self):
        event = self.create_event(local(9, 10))
        self.busy(local(7, 10), local(7, 11, 10))
        with freeze_time(MONDAY):
            start = event._sms_find_free_slots(count=1)[0][0]
        self.assertEqual(start, local(7, 11, 30))

    def test_no_working_hours_no_slot(self):
        event = self.create_event(local(9, 10))
        self.busy(local(7, 0), local(15, 0), name="Leave")
        self.assertEqual(self.slots(event), [])
