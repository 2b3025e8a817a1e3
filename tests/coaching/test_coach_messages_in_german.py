"""Messages that reach a coach's page are in the coach's language (issue 18): the
questionnaire editor's and the questionnaire file's validation, the placeholder errors
of the coach's own email wording, the webhook URL and API token checks, a refused
release and a name too long. The command line keeps them in English."""

import pytest
from sqlalchemy import update
from support import csrf_token

from feedback import i18n
from feedback.accounts.models import Coach
from feedback.accounts.tokens import create_token
from feedback.coaching import voice
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires.loader import QuestionnaireError, parse_questionnaire
from feedback.reports.released import ReleaseError, release
from feedback.vocabulary import name_too_long


@pytest.fixture
def german(app, coach):
    """The coach's pages in German."""
    with app.app_context():
        db.session.execute(update(Coach).values(language="de"))
        db.session.commit()


def test_a_questionnaire_files_problems_follow_the_language_the_cli_stays_english(app):
    broken = (
        'key = "mini"\nversion = 1\ntitle = "Mini"\ndescription = "x"\n'
        '[scale]\nlabels = { "1" = "a", "2" = "b", "3" = "c", "4" = "d" }\n'
        '[[competencies]]\nkey = "c"\ntitle = "C"\ndescription = ""\n'
        '[[competencies.items]]\nkey = "i"\nself = "I do."\nrater = "Does."\n'
        '[[open_questions]]\nkey = "headline"\naudience = "both"\n'
        'self = "Describe yourself."\nrater = "Describe {name}."\nmax_length = 140\n'
    )
    with pytest.raises(QuestionnaireError) as english:
        parse_questionnaire(broken, "mini.toml")
    assert str(english.value).endswith("competencies[0].items[0].rater: must contain {name}")
    with app.test_request_context(), i18n.speaking("fr"), pytest.raises(QuestionnaireError) as fr:
        parse_questionnaire(broken, "mini.toml")
    assert str(fr.value).endswith("competencies[0].items[0].rater: doit contenir {name}")
    # The command line has no page: English, whatever the coach's setting.
    with app.app_context(), pytest.raises(QuestionnaireError) as command_line:
        parse_questionnaire(broken, "mini.toml")
    assert "must contain {name}" in str(command_line.value)


def test_the_email_wordings_placeholder_errors_are_german(app, german, coach_browser):
    from test_coach_voice import _save

    response = _save(coach_browser, "Hi {coachee.name}", "Fine.")
    assert response.status_code == 400
    assert "„{coachee.name}“ ist kein Platzhalter; verwenden Sie" in response.text
    assert "is not a placeholder" not in response.text
    response = _save(coach_browser, "Hi", "Your link: {link}")
    assert response.status_code == 400
    assert "Link für den Feedbackgeber wird unter Ihrem Text eingefügt" in response.text
    response = _save(coach_browser, "Hi", "A { brace")
    assert response.status_code == 400
    assert "Ein einzelnes „{“ ist nicht erlaubt" in response.text
    with (
        app.app_context(),
        i18n.speaking("es"),
        pytest.raises(voice.TextProblem, match="no es un marcador"),
    ):
        voice.check("Hola {nombre}")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://crm.example.com/hook",
            "verwenden Sie https; einfaches http nur an diesen Rechner",
        ),
        ("crm.example.com/hook", "eine absolute https-URL an, etwa https://example.com/hook"),
        ("https://me:secret@crm.example.com/hook", "ohne Benutzernamen oder Passwort"),
    ],
)
def test_a_refused_webhook_url_is_explained_in_german(german, coach_browser, url, message):
    token = csrf_token(coach_browser.get("/settings/webhooks").text)
    response = coach_browser.post(
        "/settings/webhooks", data={"csrf_token": token, "url": url, "events": ["cycle.closed"]}
    )
    assert response.status_code == 400
    assert message in response.text
    assert "use https" not in response.text and "absolute https URL" not in response.text


def test_a_name_too_long_is_refused_in_german(german, coach_browser):
    response = coach_browser.submit(
        "/coachees", {"name": "N" * 300, "email": "long@example.com"}, page="/"
    )
    assert response.status_code == 400
    assert "Der Name hat 300 Zeichen; bitte kürzen Sie ihn auf 120." in response.text
    assert "please shorten" not in response.text


def test_the_services_refusals_follow_the_language(app, coach, open_cycle):
    with app.test_request_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        with pytest.raises(ReleaseError, match="only a closed cycle can be released"):
            release(cycle)
        with i18n.speaking("de"):
            with pytest.raises(ReleaseError, match="nur eine beendete Feedbackrunde"):
                release(cycle)
            with pytest.raises(ValueError, match="der Name darf höchstens 80 Zeichen haben"):
                create_token(db.session.get(Coach, cycle.coachee.coach_id), name="x" * 81)
            assert name_too_long("x" * 121).startswith("der Name hat 121 Zeichen")
        assert name_too_long("x" * 121).startswith("the name has 121 characters")
