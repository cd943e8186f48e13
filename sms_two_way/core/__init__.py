"""Plain-Python core of sms_two_way: no Odoo import allowed in this package."""
