from odoo import api, models
from odoo.exceptions import AccessError


class SmsProtectedFieldsMixin(models.AbstractModel):
    """Fields no RPC caller may set, whatever their access rights on the record.

    * ``_admin_only_fields`` decide where credentials go or what code runs:
      administrators alone set them (field ``groups`` hide them in views;
      this also covers every other way to write them).
    * ``_server_only_fields`` decide who is texted from where, or which
      record a reply acts on: only server code (under ``sudo()``) writes them.
    """

    _name = "sms.protected.fields.mixin"
    _description = "SMS: fields set by administrators or server code only"

    _admin_only_fields = ()
    _server_only_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_protected_fields(
                {name: value for name, value in vals.items() if value}, creating=True
            )
        return super().create(vals_list)

    def write(self, vals):
        self._check_protected_fields(vals)
        return super().write(vals)

    def _check_protected_fields(self, vals, creating=False):
        if self.env.su:
            return
        admin_only = [name for name in self._admin_only_fields if name in vals]
        if admin_only and not self.env.is_system():
            raise AccessError(
                self.env._(
                    "Only administrators may set %s.", self._describe_fields(admin_only)
                )
            )
        server_only = [
            name for name in self._server_only_fields if name in vals and not creating
        ]
        if server_only:
            raise AccessError(
                self.env._(
                    "%s can only be set by Odoo itself.",
                    self._describe_fields(server_only),
                )
            )

    def _describe_fields(self, names):
        return ", ".join(
            self._fields[name]._description_string(self.env) for name in names
        )
