"""The languages: complete catalogues that match the code's texts, and pages in the
language of the person they are for."""

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import update

from feedback import i18n
from feedback.accounts.models import Coach
from feedback.extensions import db

TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE]


def _catalogue(path):
    with path.open("rb") as source:
        return read_po(source, locale=path.parent.parent.name if path.suffix == ".po" else None)


def _messages(catalogue) -> dict:
    return {message.id: message for message in catalogue if message.id}


@pytest.fixture(scope="module")
def template():
    return _messages(_catalogue(i18n.TRANSLATIONS / "messages.pot"))


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated(code):
    catalogue = _catalogue(i18n.TRANSLATIONS / code / "LC_MESSAGES" / "messages.po")
    missing = []
    for message in _messages(catalogue).values():
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if (
            message.fuzzy
            or not all(forms)
            or len(forms) < (catalogue.num_plurals if message.pluralizable else 1)
        ):
            missing.append(message.id)
    assert not missing, f"{code}: {len(missing)} untranslated, e.g. {missing[:5]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_catalogue_has_every_message_of_the_template(code, template):
    catalogue = _messages(_catalogue(i18n.TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"))
    assert set(template) == set(catalogue), "run `feedback translations extract`"


def test_the_template_holds_every_text_the_code_marks(tmp_path, template):
    fresh = tmp_path / "messages.pot"
    i18n.extract(fresh)
    marked = set(_messages(_catalogue(fresh)))
    assert marked == set(template), (
        f"not in messages.pot: {sorted(marked - set(template))[:5]}; "
        f"no longer marked: {sorted(set(template) - marked)[:5]}"
        " (run `feedback translations extract`)"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_is_the_one_of_its_po_file(code, tmp_path):
    """The .mo files the service reads are kept in the repository (a checkout or an
    install runs without a build step); they must be compiled from the .po as it is."""
    kept = i18n.TRANSLATIONS / code / "LC_MESSAGES"
    fresh = tmp_path / code / "LC_MESSAGES"
    fresh.mkdir(parents=True)
    (fresh / "messages.po").write_bytes((kept / "messages.po").read_bytes())
    i18n.compile_catalogues(tmp_path)
    assert (fresh / "messages.mo").read_bytes() == (kept / "messages.mo").read_bytes(), (
        "run `feedback translations compile`"
    )


def test_a_coachs_pages_follow_the_browser_then_the_coachs_setting(app, coach, coach_browser):
    english = coach_browser.get("/coachees")
    assert english.headers["Content-Language"] == "en"
    assert '<html lang="en">' in english.text and "Sign out" in english.text

    german = coach_browser.get("/coachees", headers={"Accept-Language": "de-CH, fr;q=0.5"})
    assert german.headers["Content-Language"] == "de"
    assert '<html lang="de">' in german.text
    assert "Abmelden" in german.text and "Sign out" not in german.text

    with app.app_context():
        db.session.execute(update(Coach).values(language="es"))
        db.session.commit()
    spanish = coach_browser.get("/coachees", headers={"Accept-Language": "de"})
    assert spanish.headers["Content-Language"] == "es"
    assert "Cerrar sesión" in spanish.text


def test_an_unknown_language_falls_back_to_english(client):
    page = client.get("/login", headers={"Accept-Language": "nl, pt;q=0.8"})
    assert page.headers["Content-Language"] == "en"
    assert '<html lang="en">' in page.text


def test_every_agreement_category_has_its_explanation_in_every_language():
    """The pages' explanations (web.terms, marked for translation) cover exactly the
    analysis' categories: a new category without words would show nothing."""
    from feedback.analysis import EXPLANATIONS
    from feedback.web.terms import EXPLANATIONS_SHOWN

    assert EXPLANATIONS_SHOWN.keys() == EXPLANATIONS.keys()
