"""Each way a questionnaire file can be wrong gives its own clear message."""

import pytest

from feedback.questionnaires import (
    QuestionnaireError,
    load_questionnaire,
    parse_questionnaire,
)

VALID = """\
key = "mini"
version = 2
title = "Mini"
description = "A small questionnaire for tests."

[scale]
labels = { "1" = "Never", "2" = "Rarely", "3" = "Sometimes", "4" = "Often", "5" = "Always" }
dont_know = "Don't know"

[[competencies]]
key = "people"
title = "Working with people"
description = "Cooperation."

[[competencies.items]]
key = "listens"
self = "I listen."
rater = "{name} listens."

[[competencies.items]]
key = "shares"
self = "I share information."
rater = "{name} shares information."

[[competencies]]
key = "results"
title = "Getting results"
description = "Delivery."

[[competencies.items]]
key = "delivers"
self = "I deliver."
rater = "{name} delivers."

[[open_questions]]
key = "keep"
audience = "rater"
rater = "What should {name} keep doing?"
max_length = 2000

[[open_questions]]
key = "mission"
audience = "self"
self = "What is your mission?"
max_length = 2000

[[open_questions]]
key = "headline"
audience = "both"
self = "Describe yourself in 140 characters or less."
rater = "Describe {name} in 140 characters or less."
max_length = 140
"""


def variant(old: str, new: str, count: int = 1) -> str:
    """VALID with ``old`` replaced by ``new``; fails if ``old`` is not there."""
    assert VALID.count(old) >= count, f"{old!r} not in VALID"
    return VALID.replace(old, new, count)


def error_for(text: str, source: str = "mini.toml") -> str:
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(text, source=source)
    return str(caught.value)


def test_valid_parses():
    spec = parse_questionnaire(VALID)
    assert (spec.key, spec.version, spec.title) == ("mini", 2, "Mini")
    assert spec.scale.labels == {1: "Never", 2: "Rarely", 3: "Sometimes", 4: "Often", 5: "Always"}
    assert [c.key for c in spec.competencies] == ["people", "results"]
    assert [(i.competency_key, i.key) for i in spec.items] == [
        ("people", "listens"),
        ("people", "shares"),
        ("results", "delivers"),
    ]
    assert [q.key for q in spec.rater_questions()] == ["keep", "headline"]
    assert [q.key for q in spec.self_questions()] == ["mission", "headline"]
    keep = spec.open_question("keep")
    assert (keep.for_raters(), keep.for_self(), keep.self_text) == (True, False, None)


def test_error_is_a_value_error_with_parts():
    with pytest.raises(ValueError) as caught:
        parse_questionnaire(variant('rater = "{name} listens."', 'rater = "Listens."'), "x.toml")
    error = caught.value
    assert isinstance(error, QuestionnaireError)
    assert error.source == "x.toml"
    assert error.where == "competencies[0].items[0].rater"
    assert error.problem == "must contain {name}"


def test_toml_syntax_error_names_the_line():
    message = error_for(variant('title = "Mini"', "title = Mini"))
    assert message.startswith("mini.toml: invalid TOML: ")
    assert "line 3" in message


def test_default_source_name():
    assert error_for("key = ", source="<string>").startswith("<string>: invalid TOML")


def test_load_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(variant('rater = "{name} delivers."', 'rater = "Delivers."'), "utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    assert str(caught.value) == "broken.toml: competencies[1].items[0].rater: must contain {name}"


def test_load_missing_file(tmp_path):
    with pytest.raises(QuestionnaireError, match=r"^absent\.toml: cannot be read"):
        load_questionnaire(tmp_path / "absent.toml")


def test_load_round_trips_a_valid_file(tmp_path):
    path = tmp_path / "mini.toml"
    path.write_text(VALID, "utf-8")
    assert load_questionnaire(path) == parse_questionnaire(VALID)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # missing and unknown keys
        ("version = 2\n", "", 'mini.toml: missing key "version"'),
        ('title = "Mini"\n', 'title = "Mini"\ntheme = "dark"\n', 'mini.toml: unknown key "theme"'),
        (
            'title = "Working with people"\n',
            'titel = "Working with people"\n',
            'mini.toml: competencies[0]: unknown key "titel"',
        ),
        (
            'self = "I deliver."\n',
            "",
            'mini.toml: competencies[1].items[0]: missing key "self"',
        ),
        ('dont_know = "Don\'t know"\n', "", 'mini.toml: scale: missing key "dont_know"'),
        # wrong types
        (
            "version = 2",
            'version = "2"',
            "mini.toml: version: must be a positive integer, not a string",
        ),
        (
            "version = 2",
            "version = true",
            "mini.toml: version: must be a positive integer, not a boolean",
        ),
        ("version = 2", "version = 0", "mini.toml: version: must be a positive integer, not 0"),
        ('title = "Mini"', "title = 3", "mini.toml: title: must be a string, not an integer"),
        ('title = "Mini"', 'title = "  "', "mini.toml: title: must not be empty"),
        (
            'rater = "{name} listens."',
            'rater = ["{name} listens."]',
            "mini.toml: competencies[0].items[0].rater: must be a string, not an array",
        ),
        # key syntax
        ('key = "mini"', 'key = "Mini 360"', 'mini.toml: key: "Mini 360" is not a valid key'),
        (
            'key = "listens"',
            'key = "_listens"',
            'competencies[0].items[0].key: "_listens" is not a valid key',
        ),
        ('key = "mini"', f'key = "{"k" * 41}"', "is not a valid key: use 1 to 40 characters"),
    ],
)
def test_shape_errors(old, new, expected):
    assert expected in error_for(variant(old, new))


def test_duplicate_item_key_across_competencies():
    message = error_for(variant('key = "delivers"', 'key = "listens"'))
    assert message == (
        'mini.toml: competencies[1].items[0].key: duplicate item key "listens" '
        "(first used at competencies[0].items[0].key)"
    )


def test_duplicate_competency_key():
    message = error_for(variant('key = "results"', 'key = "people"'))
    assert 'competencies[1].key: duplicate competency key "people"' in message


def test_duplicate_open_question_key():
    message = error_for(variant('key = "mission"', 'key = "keep"'))
    assert message == (
        'mini.toml: open_questions[1].key: duplicate open question key "keep" '
        "(first used at open_questions[0].key)"
    )


def test_competency_without_items():
    start = VALID.index('[[competencies.items]]\nkey = "delivers"')
    text = VALID[:start] + VALID[VALID.index("[[open_questions]]") :]
    assert 'mini.toml: competencies[1]: missing key "items"' in error_for(text)
    empty = text.replace('description = "Delivery."', 'description = "Delivery."\nitems = []')
    assert error_for(empty) == "mini.toml: competencies[1].items: must not be empty"


def test_no_competencies():
    start, end = VALID.index("[[competencies]]"), VALID.index("[[open_questions]]")
    # A top-level key must come before the first table header.
    text = "competencies = []\n" + VALID[:start] + VALID[end:]
    assert error_for(text) == "mini.toml: competencies: must not be empty"


def test_too_many_items():
    many = "".join(
        f'[[competencies.items]]\nkey = "i{n}"\nself = "I do {n}."\nrater = "{{name}} does {n}."\n'
        for n in range(200)
    )
    text = variant('[[competencies]]\nkey = "results"', many + '[[competencies]]\nkey = "results"')
    assert error_for(text) == "mini.toml: competencies: must hold 1 to 200 items in all, not 203"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ('{ "1" = "a", "2" = "b", "3" = "c", "4" = "d" }', 'exactly the points "1" to "5"'),
        (
            '{ "0" = "z", "1" = "a", "2" = "b", "3" = "c", "4" = "d", "5" = "e" }',
            'exactly the points "1" to "5"',
        ),
        (
            '{ "1" = "a", "2" = "b", "3" = "c", "4" = "d", "6" = "e" }',
            'exactly the points "1" to "5"',
        ),
        (
            '{ "1" = "a", "2" = "b", "3" = "c", "4" = "d", "5" = 5 }',
            'scale.labels."5": must be a string',
        ),
        (
            '{ "1" = "a", "2" = "b", "3" = "c", "4" = "d", "5" = "" }',
            'scale.labels."5": must not be empty',
        ),
        (
            '{ "1" = "a", "2" = "a", "3" = "c", "4" = "d", "5" = "e" }',
            "each point needs its own label",
        ),
        ('["a", "b", "c", "d", "e"]', "scale.labels: must be a table, not an array"),
    ],
)
def test_scale_labels(labels, expected):
    old = VALID.splitlines()[6]
    assert old.startswith("labels = ")
    message = error_for(variant(old, f"labels = {labels}"))
    assert message.startswith("mini.toml: scale.labels")
    assert expected in message


def test_rater_item_without_name():
    message = error_for(
        variant('rater = "{name} shares information."', 'rater = "Shares information."')
    )
    assert message == "mini.toml: competencies[0].items[1].rater: must contain {name}"


def test_unknown_placeholder():
    message = error_for(variant('rater = "{name} listens."', 'rater = "{nme} listens."'))
    assert message == (
        "mini.toml: competencies[0].items[0].rater: unknown placeholder {nme}; "
        "only {name} is allowed"
    )


def test_unknown_placeholder_in_open_question():
    message = error_for(variant("What should {name} keep doing?", "What should {coachee} keep?"))
    assert "open_questions[0].rater: unknown placeholder {coachee}" in message


def test_name_in_self_wording():
    message = error_for(variant('self = "I listen."', 'self = "{name} listens."'))
    assert message == (
        "mini.toml: competencies[0].items[0].self: is addressed to the coachee "
        "and must not contain {name}"
    )


def test_rater_open_question_may_omit_name():
    spec = parse_questionnaire(variant("What should {name} keep doing?", "Anything to add?"))
    assert spec.open_question("keep").rater_text == "Anything to add?"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "must be a positive integer, not 0"),
        ("-5", "must be a positive integer, not -5"),
        ("12.5", "must be a positive integer, not a float"),
        ('"2000"', "must be a positive integer, not a string"),
        ("10001", "must be at most 10000, not 10001"),
    ],
)
def test_max_length(value, expected):
    message = error_for(variant("max_length = 2000", f"max_length = {value}"))
    assert message == f"mini.toml: open_questions[0].max_length: {expected}"


def test_headline_missing():
    start = VALID.index('[[open_questions]]\nkey = "headline"')
    message = error_for(VALID[:start])
    assert (
        message
        == 'mini.toml: open_questions: missing the question "headline" (the short description)'
    )


def test_headline_longer_than_140():
    message = error_for(variant("max_length = 140", "max_length = 141"))
    assert (
        message
        == 'mini.toml: open_questions[2].max_length: "headline" must be at most 140, not 141'
    )


def test_headline_for_raters_only():
    text = variant('self = "Describe yourself in 140 characters or less."\n', "")
    text = text.replace('audience = "both"', 'audience = "rater"')
    message = error_for(text)
    assert message.startswith(
        'mini.toml: open_questions[2].audience: "headline" is asked of the coachee'
    )


def test_unknown_audience():
    message = error_for(variant('audience = "rater"', 'audience = "raters"'))
    assert (
        message
        == 'mini.toml: open_questions[0].audience: must be "self", "rater" or "both", not "raters"'
    )


def test_rater_question_without_rater_wording():
    message = error_for(variant('rater = "What should {name} keep doing?"\n', ""))
    assert message == 'mini.toml: open_questions[0]: missing key "rater" (audience is "rater")'


def test_self_question_without_self_wording():
    message = error_for(variant('self = "What is your mission?"\n', ""))
    assert message == 'mini.toml: open_questions[1]: missing key "self" (audience is "self")'


def test_both_question_needs_both_wordings():
    message = error_for(variant('rater = "Describe {name} in 140 characters or less."\n', ""))
    assert message == 'mini.toml: open_questions[2]: missing key "rater" (audience is "both")'


def test_wording_for_an_audience_not_asked():
    text = variant(
        'self = "What is your mission?"\n',
        'self = "What is your mission?"\nrater = "What is the mission of {name}?"\n',
    )
    message = error_for(text)
    assert message.startswith('mini.toml: open_questions[1].rater: not asked: audience is "self"')
