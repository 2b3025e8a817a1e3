"""The shipped default questionnaire: it loads and has the shape the method asks for."""

import re

import pytest

from feedback.questionnaires import (
    DEFAULT_KEY,
    QuestionnaireSpec,
    default_questionnaire,
    load_questionnaire,
    render,
    shipped_questionnaires,
)

RATER_QUESTIONS = ["keep", "change", "best", "headline"]
SELF_QUESTIONS = [
    "strengths",
    "motivation",
    "learning",
    "skills_needed",
    "dream_job",
    "flow",
    "mission",
    "headline",
]


@pytest.fixture(scope="module")
def spec() -> QuestionnaireSpec:
    return default_questionnaire()


def test_every_shipped_file_loads():
    paths = shipped_questionnaires()
    assert "default.toml" in [path.name for path in paths]
    for path in paths:
        assert load_questionnaire(path).version >= 1


def test_default_is_cached_and_keyed(spec):
    assert default_questionnaire() is spec
    assert spec.key == DEFAULT_KEY


def test_counts(spec):
    assert 5 <= len(spec.competencies) <= 7
    assert 25 <= len(spec.items) <= 35
    for competency in spec.competencies:
        assert 4 <= len(competency.items) <= 6, competency.key


def test_items_property_keeps_file_order_and_competency(spec):
    expected = [(c.key, i.key) for c in spec.competencies for i in c.items]
    assert [(i.competency_key, i.key) for i in spec.items] == expected
    assert len({i.key for i in spec.items}) == len(spec.items)


def test_wordings(spec):
    for item in spec.items:
        assert item.self_text.startswith(("I ", "When I ", "After a setback, I ")), item.key
        assert "{name}" in item.rater_text, item.key
        assert "{name}" not in item.self_text, item.key
        assert len(item.rater_text) <= 100, item.key
        assert " and " not in item.self_text, f"{item.key} may be double-barrelled"
    for question in spec.rater_questions():
        assert "{name}" in question.rater_text, question.key


def test_scale(spec):
    assert spec.scale.points == (1, 2, 3, 4, 5)
    assert spec.scale.labels[1] == "Strongly disagree"
    assert spec.scale.labels[5] == "Strongly agree"
    assert spec.scale.dont_know == "Don't know"


def test_open_question_keys(spec):
    assert [q.key for q in spec.rater_questions()] == RATER_QUESTIONS
    assert [q.key for q in spec.self_questions()] == SELF_QUESTIONS


def test_headline_is_asked_of_everyone_in_140_characters(spec):
    headline = spec.open_question("headline")
    assert headline.audience == "both"
    assert headline.for_self() and headline.for_raters()
    assert headline.max_length == 140
    assert "140" in headline.self_text and "140" in headline.rater_text


def test_other_open_questions_allow_2000_characters(spec):
    for question in spec.open_questions:
        if question.key != "headline":
            assert question.max_length == 2000, question.key


def test_audience_decides_wordings(spec):
    for question in spec.open_questions:
        assert (question.self_text is not None) == question.for_self(), question.key
        assert (question.rater_text is not None) == question.for_raters(), question.key


def test_no_placeholder_left_after_render(spec):
    for item in spec.items:
        assert not re.search(r"[{}]", render(item.rater_text, "Alex")), item.key


def test_lookup(spec):
    assert spec.item("listens").competency_key == "people"
    with pytest.raises(KeyError):
        spec.item("no_such_item")
    with pytest.raises(KeyError):
        spec.open_question("no_such_question")


def test_render_is_a_plain_replace():
    assert render("What should {name} keep doing?", "Ana") == "What should Ana keep doing?"
    # A name that looks like a format directive stays as typed.
    assert render("{name} listens.", "{0.__class__}") == "{0.__class__} listens."
    assert render("{name} and {name}", "{name}") == "{name} and {name}"
    assert render("{other} stays", "Ana") == "{other} stays"
