def cached_ref(env, xmlid):
    """``env.ref(xmlid)`` without its existence query, for paths run once per message.

    The id comes from Odoo's ormcache of XML ids, which is cleared whenever
    an XML id is deleted (deleting a record deletes its XML ids), so it
    never names a deleted record; ``env.ref`` would add a query each call.
    """
    model, res_id = env["ir.model.data"]._xmlid_to_res_model_res_id(
        xmlid, raise_if_not_found=True
    )
    return env[model].browse(res_id)
