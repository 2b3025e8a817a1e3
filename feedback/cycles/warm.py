"""Warm a freshly started worker before it takes requests, so the first request does
not pay for what every process pays once: SQLAlchemy's mapper set-up, a compiled query
and every template's compilation; and, with ``dashboard``, the dashboard's own: pandas,
plotly's figure validators and the engine's first calls.

Nothing of any coachee is computed here: the engine runs on a tiny literal frame.
gunicorn calls :func:`warm_up` once in the master before it forks the workers, without
touching the database (``preload_app``), or in each worker when the app is not
preloaded (see ``gunicorn.conf.py``). Whatever the master imports is in every worker's
memory: the master leaves the engine out unless ``WARM_DASHBOARD=1``, since a closed
cycle's dashboard is shown from its stored document (see ``gunicorn.conf.py``).
"""

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import configure_mappers

from .. import analysis, charts
from ..coaching.models import Cycle
from ..extensions import db

#: Which of the app's templates are compiled: every page's and every email's, so no
#: worker compiles one on its first request (the base page and the dashboard's
#: imported macros took tens of milliseconds of a worker's first dashboard).
_TEMPLATE_SUFFIXES = (".html", ".txt")


def warm_up(app: Flask, *, database: bool = True, dashboard: bool = True) -> None:
    """Configure the mappers, compile a query and the templates, and with ``dashboard``
    exercise the dashboard's code paths once on made-up data (which imports pandas and
    plotly); errors are logged and ignored (a cold first view is better than a worker
    that does not start). Without ``database`` no connection is made: the mappers are
    configured and a query compiled, for a process that forks afterwards and must not
    share a connection."""
    try:
        with app.app_context():
            if dashboard:
                _warm_dashboard()
            query = select(Cycle.id).limit(1)
            if database:
                db.session.execute(query).all()
                db.session.remove()
            else:
                configure_mappers()
                query.compile(dialect=db.engine.dialect)
            for name in app.jinja_env.list_templates():
                if name.endswith(_TEMPLATE_SUFFIXES):
                    app.jinja_env.get_template(name)
    except Exception:
        app.logger.exception("warm-up failed")


def _warm_dashboard() -> None:
    """The analysis and the charts once on a made-up two-item frame."""
    import pandas as pd

    ratings = pd.DataFrame(
        {
            "rater_id": ["s", "a", "b", "c"] * 2,
            "group": ["self", "peer", "peer", "peer"] * 2,
            "item_key": ["one"] * 4 + ["two"] * 4,
            "competency": ["Warm-up"] * 8,
            "score": [4.0, 3.0, 2.0, 5.0, 3.0, 4.0, 4.0, 5.0],
        }
    )
    items = analysis.item_stats(ratings)
    competencies = analysis.competency_stats(ratings)
    analysis.self_other_agreement(ratings)
    analysis.shuffle_comments(
        pd.DataFrame({"group": ["peer"], "question_key": ["keep"], "text": ["Warm."]}),
        frozenset(),
        seed=1,
    )
    analysis.word_panes(pd.DataFrame({"source": ["self"], "text": ["warm up"]}))
    scale = [(p, str(p)) for p in range(1, 6)]
    for figure in (
        charts.self_vs_others(competencies, ("peer",)),
        charts.gap_by_item(items, {}),
        charts.group_heatmap(competencies, ("peer",)),
        charts.answer_spread(items, {}, scale),
    ):
        figure.to_json()
