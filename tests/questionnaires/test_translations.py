# ruff: noqa: E501  (a translation's TOML lines are as long as the file's)
"""Questionnaires in several languages: ``[translations.<code>]`` tables, checked like the
rest of a file, kept with a stored version, and the languages a cycle may invite in."""

import pytest
from own_support import short_questionnaire
from sqlalchemy import select
from support import NO_MINIMUMS

from feedback.extensions import db
from feedback.questionnaires import QuestionnaireError, default_questionnaire, parse_questionnaire
from feedback.questionnaires.store import add_version, spec_of
from feedback.questionnaires.writer import to_toml
from feedback.raters.models import Invite

GERMAN = """
[translations.de]
title = "Teamleitung"
description = "Wie Sie Ihr Team führen."
scale = { "1" = "Nie", "2" = "Selten", "3" = "Manchmal", "4" = "Immer" }
dont_know = "Kann ich nicht sagen"

[translations.de.competencies]
listening = "Zuhören"
deciding = "Entscheiden"

[translations.de.items]
lets_finish = { self = "Ich lasse andere ausreden.", rater = "{name} lässt andere ausreden." }
asks_questions = { self = "Ich stelle Fragen.", rater = "{name} stellt Fragen." }
decides_in_time = { self = "Ich entscheide rechtzeitig.", rater = "{name} entscheidet rechtzeitig." }
explains_decisions = { self = "Ich erkläre meine Entscheidungen.", rater = "{name} erklärt die eigenen Entscheidungen." }
revisits = { self = "Ich überdenke eine Entscheidung, wenn sich die Fakten ändern.", rater = "{name} überdenkt eine Entscheidung, wenn sich die Fakten ändern." }

[translations.de.open_questions]
headline = { self = "Beschreiben Sie sich in 140 Zeichen.", rater = "Beschreiben Sie {name} in 140 Zeichen." }
advice = { rater = "Ein Rat für {name}?" }
"""


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_translated_questionnaire_reads_writes_and_stores_back_equal(app):
    text = short_questionnaire() + GERMAN
    spec = parse_questionnaire(text)
    assert spec.languages == ("en", "de")
    german = spec.translations["de"]
    assert german.items["lets_finish"] == (
        "Ich lasse andere ausreden.",
        "{name} lässt andere ausreden.",
    )
    assert german.open_questions["advice"] == (None, "Ein Rat für {name}?")
    assert german.scale[4] == "Immer"
    assert parse_questionnaire(to_toml(spec)) == spec
    with app.app_context():
        stored = add_version(spec, coach_id=None)
        db.session.commit()
        assert stored.languages == ("en", "de")
        assert spec_of(stored) == spec
        assert stored.translated("de")["competencies"]["deciding"] == "Entscheiden"
        assert stored.translated("fr") is None


def test_the_default_questionnaire_speaks_four_languages():
    spec = default_questionnaire()
    assert spec.languages == ("en", "de", "es", "fr")
    for code, translation in spec.translations.items():
        for item in spec.items:
            own, translated = item.rater_text, translation.items[item.key][1]
            # The same meaning in about the same length, {name} kept.
            assert "{name}" in translated, (code, item.key)
            assert 0.6 < len(translated) / len(own) < 1.6, (code, item.key)


@pytest.mark.parametrize(
    ("change", "needle", "message"),
    [
        (
            ("asks_questions = {", "asks_lots = {"),
            "asks_lots = {",
            'translations.de.items.asks_lots: "asks_lots" is not one of the questionnaire\'s items',
        ),
        (
            ('revisits = { self = "Ich überdenke', 'revisited = { self = "Ich überdenke'),
            "revisited = {",
            "translations.de.items.revisited",
        ),
        (
            ("translations.de", "translations.it"),
            "[translations.it]",
            '"it" is not a language to translate into',
        ),
        (
            ('advice = { rater = "Ein Rat für {name}?" }', 'advice = { self = "Ein Rat?" }'),
            "advice = {",
            '"self" must be given exactly when the question has it',
        ),
        (
            (
                'lets_finish = { self = "Ich lasse andere ausreden.", rater = "{name} lässt',
                'lets_finish = { self = "Ich lasse andere ausreden.", rater = "Er lässt',
            ),
            "lets_finish = {",
            "must contain {name}",
        ),
    ],
)
def test_a_bad_translation_is_named_with_its_line(change, needle, message):
    text = short_questionnaire() + GERMAN.replace(*change)
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(text)
    error = caught.value
    assert message in str(error)
    assert error.line == _line(text, needle), str(error)


def test_a_translation_leaving_a_statement_out_is_refused():
    text = short_questionnaire() + GERMAN.replace(
        'asks_questions = { self = "Ich stelle Fragen.", rater = "{name} stellt Fragen." }\n', ""
    )
    with pytest.raises(QuestionnaireError, match="no de translation of asks_questions") as caught:
        parse_questionnaire(text)
    assert caught.value.line == _line(text, "[translations.de.items]")


@pytest.fixture
def english_only(app, coach, tmp_path):
    """A coach's own questionnaire without translations, imported from its file."""
    path = tmp_path / "lead.toml"
    path.write_text(short_questionnaire(), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["questionnaire", "import", str(path), "--coach", "coach@example.com"]
    )
    assert result.exit_code == 0, result.output
    return runner


def test_a_cycle_invites_only_in_its_questionnaires_languages(
    english_only, coach_browser, browser, mailbox, app
):
    bad = english_only.invoke(
        args=[
            *("cycle", "create", "--coach", "coach@example.com"),
            *("--coachee-name", "Lou Lang", "--coachee-email", "lou@example.com"),
            *("--questionnaire", "team-lead", "--language", "de"),
        ]
    )
    assert bad.exit_code == 2
    assert "not written in Deutsch; it is in English" in bad.output

    response = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@example.com"}, page="/"
    )
    new_cycle = response.headers["Location"]
    refused = coach_browser.submit(
        new_cycle, {"questionnaire": "team-lead", "language": "fr", **NO_MINIMUMS}
    )
    assert refused.status_code == 400
    assert "This cycle&#39;s questionnaire is not written in Français" in refused.text
    started = coach_browser.submit(
        new_cycle, {"questionnaire": "team-lead", "language": "en", **NO_MINIMUMS}
    )
    assert started.status_code == 302, started.text
    portal = mailbox.link_for("casey@example.com").rstrip("/")
    nominated = browser.submit(
        portal + "/raters",
        {"raters": "ann@example.com, peer, Ann\ngus@example.com, peer, Gus, de"},
    )
    assert nominated.status_code == 422
    assert "questionnaire is not written in Deutsch; it is in English" in nominated.text
    with app.app_context():
        assert db.session.scalars(select(Invite.email)).all() == ["ann@example.com"]
    # Ann's form offers no other language.
    form = browser.get(mailbox.link_for("ann@example.com"))
    assert 'value="language-' not in form.text
