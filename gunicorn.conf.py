"""gunicorn settings read from the working directory (``gunicorn -w 2 wsgi:app``);
``deploy/gunicorn.conf.py`` takes them all and adds a production server's.

- The app is built and warmed once, in the master (``preload_app``): the templates and
  SQLAlchemy's mappers are ready before the first fork, so a worker that replaces a
  killed or recycled one answers at once instead of after seconds of imports and
  warm-up (bench/README.md, "Workers' boot").
- A closed cycle's dashboard is shown from the document its close stored
  (``feedback/ratings/shown.py``), without pandas or plotly, so the master does not
  import them: a worker holds about 90 MB RSS, before and after showing dashboards.
  A worker that computes results itself (a cycle closed before that document existed,
  a cycle with predictions or a previous plan, the cohort and trend pages, the
  exports, a close) imports pandas and plotly then (about a second) and holds about
  200 MB from then on. ``WARM_DASHBOARD=1`` imports them in the master and warms the
  engine there instead, shared by every worker (about 150 MB RSS each, 60-80 MB of
  its own): for a server whose coaches use those pages most (bench/README.md, "A
  worker's memory"). The master never connects to
  the database while warming, closes any connection it holds before forking, and each
  worker forgets the pooled connections it was born with: no connection is shared
  between processes. Code changes need a restart of the master (``systemctl restart``),
  not only of the workers (``HUP`` reloads the preloaded code as it is).
- After the warm-up, everything built so far is moved out of the garbage collector's
  sight (``gc.freeze()``, after a last collection): a full collection no longer walks
  the app's objects (and pandas' and plotly's, when warmed), which made a worker's
  first computed dashboard cost about twice the CPU, and a worker's collections no
  longer write to the pages it shares with the master (bench/README.md, "A worker's
  memory").
- gunicorn's own logs, error and access, never hold a link's token or an address
  (:class:`feedback.web.gunicorn_logging.RedactingLogger`).
"""

import gc as _gc
import os as _os

from feedback.cycles.warm import warm_up as _warm_up
from feedback.database import drop_pooled_connections as _drop_pooled_connections
from feedback.web.gunicorn_logging import RedactingLogger as _RedactingLogger

#: Import and warm the engine (pandas, plotly) in the master before forking, into every
#: worker; off unless WARM_DASHBOARD=1.
_WARM_DASHBOARD = _os.environ.get("WARM_DASHBOARD", "0").strip() == "1"

preload_app = True
logger_class = _RedactingLogger


def _freeze():
    """Collect once, then keep every object that exists now out of later collections."""
    _gc.collect()
    _gc.freeze()


def _preloaded_app(server):
    """The app the master loaded, when ``preload_app`` is on (else None)."""
    return server.app.wsgi() if server.cfg.preload_app else None


def when_ready(server):
    """In the master, before the first fork: warm the preloaded app without connecting
    to the database, and close any connection the master holds all the same."""
    app = _preloaded_app(server)
    if app is not None:
        _warm_up(app, database=False, dashboard=_WARM_DASHBOARD)
        _drop_pooled_connections(app, close=True)
        _freeze()


def post_fork(server, worker):
    """In each new worker: forget the pooled connections copied from the master
    (without closing them: they are the master's), so the worker opens its own."""
    app = _preloaded_app(server)
    if app is not None:
        _drop_pooled_connections(app, close=False)


def post_worker_init(worker):
    """Warm a worker that loaded the app itself (``preload_app`` off) before it
    accepts requests; a preloaded app was warmed in the master."""
    if not worker.cfg.preload_app:
        _warm_up(worker.wsgi, dashboard=_WARM_DASHBOARD)
        _freeze()
