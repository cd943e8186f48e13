"""From 18.0.1.0.0: keep what the inbox knew, and do not process old messages again.

1.0 flagged conversations with a stored ``needs_reply`` boolean; 1.1 keeps
the inbox in ``inbox_state`` (``needs_reply`` is now computed from it).
Without this step the new column would be filled with its default, *Done*,
and every unanswered conversation would silently leave the inbox.

Conversations 1.0 opened for numbers without a contact had no name (the
inbox showed "Unnamed"): they are named after their number, as 1.1 does.

1.1 also processes inbound messages in the background (``process_state``);
messages received under 1.0 were processed in their webhook: they are done.
"""

from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version:
        return
    if not column_exists(cr, "sms_conversation", "inbox_state"):
        create_column(cr, "sms_conversation", "inbox_state", "varchar")
        cr.execute(
            """
            UPDATE sms_conversation
               SET inbox_state = CASE
                   WHEN needs_reply THEN 'needs_reply'
                   WHEN last_outbound_date > last_inbound_date THEN 'waiting'
                   ELSE 'done'
               END
            """
        )
    cr.execute("UPDATE sms_conversation SET name = number WHERE name IS NULL")
    if not column_exists(cr, "sms_conversation_message", "process_state"):
        create_column(cr, "sms_conversation_message", "process_state", "varchar")
        cr.execute(
            "UPDATE sms_conversation_message SET process_state = 'done' WHERE direction = 'inbound'"
        )
