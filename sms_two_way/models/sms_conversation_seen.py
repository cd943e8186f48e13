from odoo import fields, models


class SmsConversationSeen(models.Model):
    """The last received message each user has seen in a conversation: unread counts are per user."""

    _name = "sms.conversation.seen"
    _description = "SMS Conversation Seen"

    conversation_id = fields.Many2one(
        "sms.conversation", required=True, ondelete="cascade", index=True
    )
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    last_seen_message_id = fields.Integer(required=True, default=0)

    _sql_constraints = [
        (
            "conversation_user_unique",
            "unique(conversation_id, user_id)",
            "One seen marker per user and conversation.",
        ),
    ]
