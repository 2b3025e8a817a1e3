"""The questionnaire editor's messages at their fields in the coach's language (issue
18); the same posts as test_editor's, whose English messages stay as they are."""

import pytest
from sqlalchemy import update
from test_editor import SHORT, count, create, field_error

from feedback.accounts.models import Coach
from feedback.extensions import db


@pytest.fixture
def german(app, coach):
    """The coach's pages in German."""
    with app.app_context():
        db.session.execute(update(Coach).values(language="de"))
        db.session.commit()


def test_the_editors_messages_are_german_at_their_fields(app, german, coach_browser):
    cases = [
        ({"c-1-s-2-rater": "Revisits decisions."}, "c-1-s-2-rater", "Muss {name} enthalten."),
        ({"label-4": ""}, "label-4", "Darf nicht leer sein."),
        ({"label-4": "Never"}, "points", "Jeder Punkt braucht eine eigene Beschriftung."),
        ({"points": "9"}, "points", "Wählen Sie 4 bis 7 Punkte."),
        ({"q-1-max_length": "a lot"}, "q-1-max_length", "Geben Sie eine ganze Zahl an."),
        ({"title": "x" * 201}, "title", "Darf höchstens 200 Zeichen lang sein, nicht 201."),
        ({"key": "Team Lead!"}, "key", "„Team Lead!“ ist kein gültiger Schlüssel"),
    ]
    for change, field, message in cases:
        response = create(coach_browser, {**SHORT, **change})
        assert response.status_code == 400
        shown = field_error(response.text, field)
        assert any(message in text for text in shown), (field, shown)
        assert not any("must" in text.lower() or "Choose" in text for text in shown), shown
    assert count(app) == 0
