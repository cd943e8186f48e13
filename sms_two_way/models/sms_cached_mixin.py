from odoo import api, models


class SmsCachedMixin(models.AbstractModel):
    """Records a worker-level cache (``tools.ormcache``) is built from: changing them clears it.

    ``_cache_fields`` are the fields the cache reads (empty: any write clears
    it).  Creating or deleting a record always clears it.  Other workers drop
    their copy at their next request or cron run (Odoo's registry signaling;
    processing lanes signal too), so a change applies everywhere within one
    processing run.
    """

    _name = "sms.cached.mixin"
    _description = "SMS: records a worker-level cache is built from"

    _cache_fields = frozenset()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        if not self._cache_fields or self._cache_fields & vals.keys():
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
