import importlib.util
from pathlib import Path

from odoo.tests import tagged

from .common import SmsTwoWayHttpCase

MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "migrations"
    / "18.0.1.1.0"
    / "pre-migration.py"
)


def _load_migration():
    spec = importlib.util.spec_from_file_location("sms_two_way_pre_1_1", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigrationFrom10(SmsTwoWayHttpCase):
    """A 1.0 database: ``needs_reply`` stored, no ``inbox_state`` nor ``process_state`` columns.

    The columns are dropped inside the test transaction (PostgreSQL DDL is
    transactional: the rollback at the end of the test restores them).
    """

    def _as_in_1_0(self, conversations):
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("ALTER TABLE sms_conversation DROP COLUMN inbox_state")
        cr.execute("ALTER TABLE sms_conversation_message DROP COLUMN process_state")
        flagged, answered, quiet = conversations
        cr.execute(
            "UPDATE sms_conversation SET needs_reply = (id = %s), last_inbound_date = now() - interval '1 hour',"
            " last_outbound_date = CASE WHEN id = %s THEN now() ELSE NULL END WHERE id IN %s",
            (flagged.id, answered.id, tuple(conversations.ids)),
        )
        cr.execute("UPDATE sms_conversation SET name = NULL WHERE id = %s", (quiet.id,))

    def test_unanswered_conversations_stay_in_the_inbox(self):
        Conversation = self.env["sms.conversation"]
        conversations = Conversation.browse(
            [
                Conversation._get_or_create(self.gateway, number, False).id
                for number in ("+32470000101", "+32470000102", "+32470000103")
            ]
        )
        message = self.receive_sms("Hello", sender="+32470000101")
        self._as_in_1_0(conversations)
        _load_migration().migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(
            conversations.mapped("inbox_state"), ["needs_reply", "waiting", "done"]
        )
        self.assertEqual(message.process_state, "done")
        self.assertEqual(conversations[2].name, "+32470000103", "named by its number")
