"""A questionnaire's translations in the browser editor, through the real forms (CSRF
on): shown and edited per language, kept when a change makes the next version, added
and removed, a translation left partial refused at its field (the file's own rules),
and a new questionnaire starting in the coach's language."""

import html
import re

import pytest
from own_support import short_questionnaire
from sqlalchemy import select, update
from support import NO_MINIMUMS
from test_editor import create, field_error
from test_translations import GERMAN

from feedback.accounts.models import Coach
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import parse_questionnaire
from feedback.questionnaires.store import latest_version, spec_of

EDIT = "/questionnaires/team-lead"


def fields(page: str) -> dict[str, str]:
    """What the editor's form would post as shown: its inputs and textareas (not its
    buttons, not the CSRF token, which Browser.submit adds)."""
    form = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)" value="([^"]*)"', page)
    }
    form |= {
        name: html.unescape(value)
        for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page)
    }
    form.pop("csrf_token", None)
    form["points"] = re.search(r'<option value="(\d)" selected', page)[1]
    if not re.search(r'name="dont_know" value="y" checked', page):
        form.pop("dont_know")
    return form


@pytest.fixture
def translated(app, coach, tmp_path):
    """The coach's own questionnaire "team-lead" in English and German, imported from
    its file (as `feedback questionnaire import` does)."""
    runner = app.test_cli_runner()
    path = tmp_path / "lead.toml"
    path.write_text(short_questionnaire() + GERMAN, encoding="utf-8")
    result = runner.invoke(
        args=["questionnaire", "import", str(path), "--coach", "coach@example.com"]
    )
    assert result.exit_code == 0, result.output
    return runner


def test_the_editor_shows_each_translation_and_a_change_keeps_them(app, translated, coach_browser):
    page = coach_browser.get(EDIT).text
    form = fields(page)
    assert form["translate-de"] == "y"
    assert form["de-title"] == "Teamleitung"
    assert form["de-label-4"] == "Immer" and form["de-dont_know_label"] == "Kann ich nicht sagen"
    assert form["de-c-1-title"] == "Entscheiden"
    assert form["de-c-0-s-1-rater"] == "{name} stellt Fragen."
    assert form["de-q-1-rater"] == "Ein Rat für {name}?"
    assert 'lang="de"' in page and "translate-fr" not in page

    # A cycle uses version 1, so a change makes version 2: with the German texts, one
    # of them changed too.
    response = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@example.com"}, page="/"
    )
    started = coach_browser.submit(
        response.headers["Location"],
        {"questionnaire": "team-lead", "language": "de", **NO_MINIMUMS},
    )
    assert started.status_code == 302, started.text
    form["c-0-s-0-rater"] = "{name} lets everyone finish."
    form["de-c-0-s-0-rater"] = "{name} lässt alle ausreden."
    saved = coach_browser.submit(EDIT, form)
    assert saved.status_code == 302, saved.text
    with app.app_context():
        latest = spec_of(latest_version("team-lead"))
        first = spec_of(db.session.scalars(select(Cycle)).one().questionnaire)
    assert latest.version == 2 and latest.languages == ("en", "de")
    german = latest.translations["de"]
    assert german.items["lets_finish"] == (
        "Ich lasse andere ausreden.",
        "{name} lässt alle ausreden.",
    )
    assert german.title == "Teamleitung" and german.scale[1] == "Nie"
    assert german.open_questions["advice"] == (None, "Ein Rat für {name}?")
    # Everything else as the file had it; version 1 stays for its cycle.
    imported = parse_questionnaire(short_questionnaire() + GERMAN).translations["de"]
    assert {k: v for k, v in german.items.items() if k != "lets_finish"} == {
        k: v for k, v in imported.items.items() if k != "lets_finish"
    }
    assert first.translations["de"] == imported

    # Saving the page as shown changes nothing, translations included.
    again = coach_browser.submit(EDIT, fields(coach_browser.get(EDIT).text))
    assert again.status_code == 302
    assert "Nothing changed." in coach_browser.get(EDIT).text
    with app.app_context():
        assert latest_version("team-lead").version == 2


def test_adding_a_translation_shows_its_fields_and_saving_needs_all_of_them(app, coach_browser):
    assert create(coach_browser).status_code == 302
    form = fields(coach_browser.get(EDIT).text)
    assert not any(name.startswith("translate-") for name in form)
    form["c-0-s-0-rater"] = "{name} lets everyone finish."  # typed before adding
    added = coach_browser.submit(EDIT, {**form, "add_language": "fr"})
    assert added.status_code == 200
    assert "{name} lets everyone finish." in added.text  # what was typed stays
    with app.app_context():
        assert latest_version("team-lead").translations is None  # nothing saved
    form = fields(added.text)
    assert form["translate-fr"] == "y" and form["fr-c-1-s-2-self"] == ""
    assert 'value="fr"' not in added.text.split('id="languages"')[1].split("Add a")[1]

    french = {
        "fr-title": "Direction d'équipe",
        "fr-description": "Comment vous dirigez votre équipe.",
        "fr-label-1": "Jamais",
        "fr-label-2": "Parfois",
        "fr-label-3": "Souvent",
        "fr-label-4": "Toujours",
        "fr-c-0-title": "Écoute",
        "fr-c-0-s-0-self": "Je laisse les autres finir.",
        "fr-c-0-s-0-rater": "{name} laisse tout le monde finir.",
        "fr-c-0-s-1-self": "Je pose des questions.",
        "fr-c-0-s-1-rater": "{name} pose des questions.",
        "fr-c-1-title": "Décider",
        "fr-c-1-s-0-self": "Je décide à temps.",
        "fr-c-1-s-0-rater": "{name} décide à temps.",
        "fr-c-1-s-1-self": "J'explique mes décisions.",
        "fr-c-1-s-1-rater": "{name} explique ses décisions.",
        "fr-c-1-s-2-self": "Je revois une décision quand les faits changent.",
        "fr-c-1-s-2-rater": "{name} revoit une décision quand les faits changent.",
        "fr-q-0-self": "Décrivez-vous en 140 caractères.",
        "fr-q-0-rater": "Décrivez {name} en 140 caractères.",
        "fr-q-1-rater": "Un conseil pour {name} ?",
    }
    # Partial: a statement's wording left out, another with the wrong placeholder. Each
    # message is at its field, with a 400, and nothing is saved.
    partial = {**form, **french, "fr-c-1-s-2-rater": "", "fr-c-0-s-1-self": "{name} pose."}
    refused = coach_browser.submit(EDIT, partial)
    assert refused.status_code == 400
    assert field_error(refused.text, "fr-c-1-s-2-rater") == ["Must not be empty."]
    assert any("must not contain {name}" in m for m in field_error(refused.text, "fr-c-0-s-1-self"))
    assert 'id="fr-c-1-s-2-rater"' in refused.text and "Je décide à temps." in refused.text
    with app.app_context():
        assert latest_version("team-lead").translations is None
    # A translated label the same as another is fine (the file's rules allow it), but a
    # missing scale label is not.
    refused = coach_browser.submit(EDIT, {**form, **french, "fr-label-3": " "})
    assert field_error(refused.text, "fr-label-3") == ["Must not be empty."]

    saved = coach_browser.submit(EDIT, {**form, **french})
    assert saved.status_code == 302, saved.text
    with app.app_context():
        spec = spec_of(latest_version("team-lead"))
    assert spec.languages == ("en", "fr")
    assert spec.translations["fr"].items["i_let_people_finish"][1] == (
        "{name} laisse tout le monde finir."
    )
    assert spec.translations["fr"].open_questions["one_piece_of_advice_for_name"] == (
        None,
        "Un conseil pour {name} ?",
    )
    # The rater's preview offers the form; the cycle form now accepts French.
    exported = coach_browser.get(EDIT + "/export.toml").text
    assert "[translations.fr]" in exported


def test_a_new_row_needs_its_translation_at_its_field(app, translated, coach_browser):
    form = fields(coach_browser.get(EDIT).text)
    # The empty row offered after the second competency's statements, filled in English only.
    form["c-1-s-3-self"] = "I say no when needed."
    form["c-1-s-3-rater"] = "{name} says no when needed."
    refused = coach_browser.submit(EDIT, form)
    assert refused.status_code == 400
    assert field_error(refused.text, "de-c-1-s-3-self") == ["Must not be empty."]
    assert field_error(refused.text, "de-c-1-s-3-rater") == ["Must not be empty."]
    form["de-c-1-s-3-self"] = "Ich sage Nein, wenn es nötig ist."
    form["de-c-1-s-3-rater"] = "{name} sagt Nein, wenn es nötig ist."
    assert coach_browser.submit(EDIT, form).status_code == 302
    with app.app_context():
        spec = spec_of(latest_version("team-lead"))
    assert spec.translations["de"].items["i_say_no_when_needed"] == (
        "Ich sage Nein, wenn es nötig ist.",
        "{name} sagt Nein, wenn es nötig ist.",
    )


def test_removing_a_translation_saves_a_version_without_it(app, translated, coach_browser):
    form = fields(coach_browser.get(EDIT).text)
    removed = coach_browser.submit(EDIT, {**form, "remove_language": "de"})
    assert removed.status_code == 200
    assert "de-title" not in removed.text and "translate-de" not in removed.text
    with app.app_context():
        assert latest_version("team-lead").languages == ("en", "de")  # not yet
    saved = coach_browser.submit(EDIT, fields(removed.text))
    assert saved.status_code == 302, saved.text
    with app.app_context():
        assert latest_version("team-lead").languages == ("en",)
    # A cycle may then not invite in German (as before: the rule is the cycle's).
    response = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@example.com"}, page="/"
    )
    refused = coach_browser.submit(
        response.headers["Location"],
        {"questionnaire": "team-lead", "language": "de", **NO_MINIMUMS},
    )
    assert refused.status_code == 400
    assert "not written in Deutsch" in refused.text


def test_a_german_coach_starts_a_new_questionnaire_with_german_labels(app, coach, coach_browser):
    with app.app_context():
        db.session.execute(update(Coach).values(language="de"))
        db.session.commit()
    form = fields(coach_browser.get("/questionnaires/new").text)
    assert form["translate-de"] == "y"
    assert [form[f"de-label-{p}"] for p in range(1, 6)] == [
        "Stimme gar nicht zu",
        "Stimme nicht zu",
        "Weder noch",
        "Stimme zu",
        "Stimme voll zu",
    ]
    assert form["de-dont_know_label"] == "Weiß nicht"
    assert form["de-q-0-rater"] == "Beschreiben Sie {name} in höchstens 140 Zeichen."
    assert form["label-1"] == "Strongly disagree"  # the questionnaire's own texts: English
    # An English coach's new questionnaire has no translation to start with.
    with app.app_context():
        db.session.execute(update(Coach).values(language="en"))
        db.session.commit()
    assert "translate-" not in coach_browser.get("/questionnaires/new").text


def test_a_post_cannot_add_a_language_the_service_does_not_translate_into(app, coach_browser):
    assert create(coach_browser).status_code == 302
    form = fields(coach_browser.get(EDIT).text)
    page = coach_browser.submit(EDIT, {**form, "add_language": "it", "translate-it": "y"})
    assert page.status_code == 200
    assert "it-title" not in page.text
    assert coach_browser.submit(EDIT, {**form, "translate-it": "y"}).status_code == 302
    with app.app_context():
        assert latest_version("team-lead").languages == ("en",)
