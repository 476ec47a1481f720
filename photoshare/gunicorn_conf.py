"""gunicorn settings for `make run` (and a sane start for deployments), read from the environment.

Loaded with ``gunicorn --config python:photoshare.gunicorn_conf``. It prints where to go once the
server is listening, because that is the one thing a person starting it needs to know.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

bind = os.environ.get("PHOTOSHARE_BIND", "127.0.0.1:8000")
# Two cores here: a couple of processes with a few threads each keeps the page snappy while one
# request waits on SQLite or the disk.
workers = int(os.environ.get("PHOTOSHARE_WEB_WORKERS", "2"))
# Eight threads: an open album page holds one in a long poll (up to 25 s) for live status.
threads = int(os.environ.get("PHOTOSHARE_WEB_THREADS", "8"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 10
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
# Load Django once in the master, so a broken setting fails before any worker starts.
preload_app = True
# gunicorn's runtime control socket would live in $HOME and outlast a crash; nothing here uses it.
control_socket_disable = True


def when_ready(server: Any) -> None:
    host, _, port = bind.rpartition(":")
    var_dir = Path(os.environ.get("PHOTOSHARE_VAR_DIR", "var"))
    lines = [
        "",
        f"  Photoshare is running: open http://{host or '127.0.0.1'}:{port}/",
    ]
    if not os.environ.get("EMAIL_HOST"):
        lines.append(
            f"  Sign-up and password e-mails are written to {var_dir / 'mail'}/ (one .eml each)"
        )
    lines += ["  Press Ctrl-C to stop.", ""]
    server.log.info("\n".join(lines))
