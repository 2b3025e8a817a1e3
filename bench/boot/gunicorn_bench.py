"""gunicorn settings for ``bench/boot/run.py``, by ``BENCH_SETTINGS``:

- ``after``: the project's own, ``gunicorn.conf.py`` at the repository root, as they
  are (the app preloaded and warmed in the master);
- ``before``: those of before that change, reproduced: nothing preloaded, and each
  worker imports, builds and warms the app itself (``post_worker_init``).

Either way a hook writes the pid of the worker that answered each ``/healthz`` to the
file ``BENCH_PIDS_FILE``, so the benchmark knows when every worker answers.
"""

import os
import runpy
from pathlib import Path

_PIDS_FILE = os.environ["BENCH_PIDS_FILE"]

if os.environ.get("BENCH_SETTINGS", "after") == "after":
    _ROOT = Path(__file__).resolve().parents[2]
    _SETTINGS = runpy.run_path(str(_ROOT / "gunicorn.conf.py"))
    globals().update({k: v for k, v in _SETTINGS.items() if not k.startswith("_")})
else:
    preload_app = False

    def post_worker_init(worker):
        """Warm each new worker before it accepts requests (the settings before)."""
        from feedback.cycles.warm import warm_up

        warm_up(worker.wsgi)


def post_request(worker, req, _environ, _resp):
    """Note which worker answered a health check (one short line, appended)."""
    if req.path == "/healthz":
        with open(_PIDS_FILE, "a", encoding="ascii") as pids:
            pids.write(f"{worker.pid}\n")
