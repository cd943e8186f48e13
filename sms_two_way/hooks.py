def uninstall_hook(env):
    """Drop what the ORM does not know about: the rate limiter's send windows.

    ``sms_gateway_send_window`` is a plain table (see ``sms.gateway.init``);
    uninstalling drops the model tables only, so it would be left behind.
    """
    env.cr.execute("DROP TABLE IF EXISTS sms_gateway_send_window")
