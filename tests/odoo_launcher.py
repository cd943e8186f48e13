"""``python3 -m odoo`` as a script file, for the servers of end-to-end tests and benchmarks.

Odoo's prefork server starts its long-polling process as ``python sys.argv[0]
gevent ...``; under ``-m odoo`` that is Odoo's ``__main__.py``, which cannot
run as a script, and the server respawns it every second.  Started through
this file it can.  The tests and benchmarks open no websocket, so the
long-polling process only idles (it needs gevent's plugins, which a test
machine may lack).
"""

import sys
import time

if __name__ == "__main__":
    if sys.argv[1:2] == ["gevent"]:
        while True:  # the prefork server stops it with SIGTERM
            time.sleep(3600)
    from odoo.cli.command import main

    main()
