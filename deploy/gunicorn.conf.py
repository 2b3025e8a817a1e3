"""gunicorn for a production instance (README "Running it for real"), run from the
checkout as the systemd unit does::

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

It takes every setting and hook of the repository's ``gunicorn.conf.py`` (the workers'
warm-up and whatever else is kept there, for development and production alike) and
adds what a server behind nginx needs. Options on the command line still win
(``-b``, ``-w``).
"""

import os
import runpy
from pathlib import Path

_BASE = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
globals().update(
    {name: value for name, value in runpy.run_path(str(_BASE)).items() if name[0] != "_"}
)

#: Only nginx on this machine talks to gunicorn (deploy/nginx/mirror360.conf).
bind = ["127.0.0.1:8000"]
#: WEB_CONCURRENCY (the environment file) or 2. Each worker holds about 90 MB RSS, also
#: after showing dashboards (stored when their cycle closed); one that computes results
#: itself (an export, the cohort, a cycle with predictions) about 200 MB from then on
#: (WARM_DASHBOARD=1: about 150 MB each, mostly pandas and plotly shared with the
#: master). Each serves one request at a time; nginx buffers slow clients. With
#: more than one, sign-in counts must be shared: FEEDBACK_RATELIMIT_STORAGE_URI=redis://.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
#: A request that takes longer than this is a stuck worker: it is killed and replaced.
timeout = 30
#: On SIGTERM (systemctl stop/restart) requests in flight get this long to finish.
graceful_timeout = 20
#: Workers' heartbeat files in memory, not on a disk that may stall (gunicorn's advice).
worker_tmp_dir = "/dev/shm"  # noqa: S108  (gunicorn makes its files there with mkstemp)
#: Both logs to standard output, so to the journal (journalctl -u mirror360-web). Links'
#: tokens and addresses are redacted there (feedback/web/redaction.py).
accesslog = "-"
errorlog = "-"
loglevel = "info"
#: The client's address as nginx saw it, and the time taken (microseconds).
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(D)sus'
proc_name = "mirror360-web"
