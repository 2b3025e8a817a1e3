"""gunicorn settings read from the working directory (``gunicorn -w 2 wsgi:app``)."""


def post_worker_init(worker):
    """Warm each new worker before it accepts requests (plotly, pandas, templates)."""
    from feedback.cycles.warm import warm_up

    warm_up(worker.wsgi)
