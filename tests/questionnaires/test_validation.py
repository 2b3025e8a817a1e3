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
    assert error.line == 18
    assert error.others == ()


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
    assert (
        str(caught.value) == "broken.toml:33: competencies[1].items[0].rater: must contain {name}"
    )


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
        (
            'title = "Mini"\n',
            'title = "Mini"\ntheme = "dark"\n',
            'mini.toml:4: unknown key "theme"',
        ),
        (
            'title = "Working with people"\n',
            'titel = "Working with people"\n',
            'mini.toml:12: competencies[0]: unknown key "titel"',
        ),
        (
            'self = "I deliver."\n',
            "",
            'mini.toml:30: competencies[1].items[0]: missing key "self"',
        ),
        (
            "[scale]\n",
            "scale = 3\n[other]\n",
            "mini.toml:6: scale: must be a table, not an integer",
        ),
        # wrong types
        (
            "version = 2",
            'version = "2"',
            "mini.toml:2: version: must be a positive integer, not a string",
        ),
        (
            "version = 2",
            "version = true",
            "mini.toml:2: version: must be a positive integer, not a boolean",
        ),
        ("version = 2", "version = 0", "mini.toml:2: version: must be a positive integer, not 0"),
        ('title = "Mini"', "title = 3", "mini.toml:3: title: must be a string, not an integer"),
        (
            'title = "Mini"',
            "title = 1979-05-27",
            "mini.toml:3: title: must be a string, not a date or time",
        ),
        ('title = "Mini"', 'title = "  "', "mini.toml:3: title: must not be empty"),
        (
            'rater = "{name} listens."',
            'rater = ["{name} listens."]',
            "mini.toml:18: competencies[0].items[0].rater: must be a string, not an array",
        ),
        # key syntax
        ('key = "mini"', 'key = "Mini 360"', 'mini.toml:1: key: "Mini 360" is not a valid key'),
        (
            'key = "listens"',
            'key = "_listens"',
            'mini.toml:16: competencies[0].items[0].key: "_listens" is not a valid key',
        ),
        (
            'key = "mini"',
            f'key = "{"k" * 41}"',
            'mini.toml:1: key: "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" is not a valid key: '
            "use 1 to 40 characters",
        ),
        ('key = "mini"', "key = 360", "mini.toml:1: key: must be a string, not an integer"),
        # lengths and lines, counted without the surrounding whitespace
        (
            'title = "Mini"',
            f'title = "  {"t" * 201}  "',
            "mini.toml:3: title: must be at most 200 characters, not 201",
        ),
        (
            'title = "Mini"',
            'title = """Mini\nand more"""',
            "mini.toml:3: title: must be a single line",
        ),
        (
            '"1" = "Never"',
            f'"1" = "{"n" * 61}"',
            'mini.toml:7: scale.labels."1": must be at most 60 characters, not 61',
        ),
        (
            'dont_know = "Don\'t know"',
            f'dont_know = "{"d" * 61}"',
            "mini.toml:8: scale.dont_know: must be at most 60 characters, not 61",
        ),
        (
            'self = "I listen."',
            f'self = "I listen{"." * 293}"',
            "mini.toml:17: competencies[0].items[0].self: must be at most 300 characters, not 301",
        ),
        (
            'description = "Cooperation."',
            f'description = "{"c" * 2001}"',
            "mini.toml:13: competencies[0].description: must be at most 2000 characters, not 2001",
        ),
        (
            'description = "A small questionnaire for tests."',
            f'description = "{"d" * 5001}"',
            "mini.toml:4: description: must be at most 5000 characters, not 5001",
        ),
    ],
)
def test_shape_errors(old, new, expected):
    assert expected in error_for(variant(old, new))


def test_typo_in_a_key_reports_the_missing_and_the_unknown_key():
    message = error_for(
        variant('title = "Working with people"\n', 'titel = "Working with people"\n')
    )
    assert message.splitlines() == [
        'mini.toml:10: competencies[0]: missing key "title"',
        'mini.toml:12: competencies[0]: unknown key "titel"',
    ]


def test_every_problem_of_the_entries_is_reported():
    text = variant("version = 2", 'version = "2"')
    text = text.replace('rater = "{name} delivers."', 'rater = "Delivers."')
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(text, source="mini.toml")
    error = caught.value
    assert (error.where, error.line) == ("version", 2)
    assert [(other.where, other.line, other.problem) for other in error.others] == [
        ("competencies[1].items[0].rater", 33, "must contain {name}")
    ]
    assert str(error) == (
        "mini.toml:2: version: must be a positive integer, not a string\n"
        "mini.toml:33: competencies[1].items[0].rater: must contain {name}"
    )


def test_line_is_found_past_multiline_strings():
    description = 'description = """\nA questionnaire.\n[[competencies]]\nkey = "x"\n"""'
    text = variant('description = "A small questionnaire for tests."', description)
    text = text.replace('rater = "{name} listens."', 'rater = "Listens."')
    assert error_for(text) == "mini.toml:22: competencies[0].items[0].rater: must contain {name}"


def test_texts_are_stripped():
    spec = parse_questionnaire(variant('title = "Mini"', 'title = "  Mini\t"'))
    assert spec.title == "Mini"
    spec = parse_questionnaire(variant('self = "I listen."', 'self = """\n  I listen.\n"""'))
    assert spec.item("listens").self_text == "I listen."


def test_descriptions_may_have_several_lines():
    text = variant('description = "Cooperation."', 'description = """Cooperation.\n\nAnd more."""')
    assert parse_questionnaire(text).competencies[0].description == "Cooperation.\n\nAnd more."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"keep"', "open_questions: must be an array of tables, not a string"),
        ('["keep"]', "open_questions[0]: must be a table, not a string"),
    ],
)
def test_open_questions_that_are_not_tables(value, expected):
    # A top-level key must come before the first table header.
    text = f"open_questions = {value}\n" + VALID[: VALID.index("[[open_questions]]")]
    assert error_for(text) == f"mini.toml:1: {expected}"


def test_duplicate_item_key_across_competencies():
    message = error_for(variant('key = "delivers"', 'key = "listens"'))
    assert message == (
        'mini.toml:31: competencies[1].items[0].key: duplicate item key "listens" '
        "(first used at competencies[0].items[0].key)"
    )


def test_duplicate_competency_key():
    message = error_for(variant('key = "results"', 'key = "people"'))
    assert message == (
        'mini.toml:26: competencies[1].key: duplicate competency key "people" '
        "(first used at competencies[0].key)"
    )


def test_duplicate_open_question_key():
    message = error_for(variant('key = "mission"', 'key = "keep"'))
    assert message == (
        'mini.toml:42: open_questions[1].key: duplicate open question key "keep" '
        "(first used at open_questions[0].key)"
    )


def test_competency_without_items():
    start = VALID.index('[[competencies.items]]\nkey = "delivers"')
    text = VALID[:start] + VALID[VALID.index("[[open_questions]]") :]
    assert error_for(text) == 'mini.toml:25: competencies[1]: missing key "items"'
    empty = text.replace('description = "Delivery."', 'description = "Delivery."\nitems = []')
    assert error_for(empty) == "mini.toml:29: competencies[1].items: must not be empty"


def test_no_competencies():
    start, end = VALID.index("[[competencies]]"), VALID.index("[[open_questions]]")
    # A top-level key must come before the first table header.
    text = "competencies = []\n" + VALID[:start] + VALID[end:]
    assert error_for(text) == "mini.toml:1: competencies: must not be empty"


def test_too_many_items():
    many = "".join(
        f'[[competencies.items]]\nkey = "i{n}"\nself = "I do {n}."\nrater = "{{name}} does {n}."\n'
        for n in range(200)
    )
    text = variant('[[competencies]]\nkey = "results"', many + '[[competencies]]\nkey = "results"')
    assert error_for(text) == "mini.toml:10: competencies: must hold 1 to 200 items in all, not 203"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (
            '{ "0" = "z", "1" = "a", "2" = "b", "3" = "c", "4" = "d", "5" = "e" }',
            'the points "1" to "A" for a scale of A = 4 to 7 points',
        ),
        (
            '{ "1" = "a", "2" = "b", "3" = "c", "4" = "d", "6" = "e" }',
            'the points "1" to "A" for a scale of A = 4 to 7 points',
        ),
        (
            '{ "1" = "a", "2" = "b", "3" = "c" }',
            'for a scale of A = 4 to 7 points, each once (found "1", "2", "3")',
        ),
        (
            '{ "1" = "a", "2" = "b", "3" = "c", "4" = "d", "5" = "e", "6" = "f", "7" = "g", '
            '"8" = "h" }',
            "for a scale of A = 4 to 7 points",
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
        ("{}", 'scale.labels: must label the points "1" to "A" for a scale of A = 4 to 7 points'),
        (
            '{ "1" = "a", "2" = "b", "3" = "c", "4" = "d", "5" = "e\\nf" }',
            'scale.labels."5": must be a single line',
        ),
    ],
)
def test_scale_labels(labels, expected):
    old = VALID.splitlines()[6]
    assert old.startswith("labels = ")
    message = error_for(variant(old, f"labels = {labels}"))
    assert message.startswith("mini.toml:7: scale.labels")
    assert expected in message


@pytest.mark.parametrize(
    "labels",
    [
        '{ "1" = "a", "2" = "b", "3" = "c", "4" = "d" }',
        '{ "1" = "a", "2" = "b", "3" = "c", "4" = "d", "5" = "e", "6" = "f", "7" = "g" }',
    ],
)
def test_scales_of_four_to_seven_points(labels):
    spec = parse_questionnaire(variant(VALID.splitlines()[6], f"labels = {labels}"))
    size = labels.count("=")
    assert spec.scale.size == size
    assert spec.scale.points == tuple(range(1, size + 1))
    assert spec.scale.labels[size] == "abcdefg"[size - 1]


def test_dont_know_may_be_left_out():
    spec = parse_questionnaire(variant('dont_know = "Don\'t know"\n', ""))
    assert spec.scale.dont_know is None
    assert parse_questionnaire(VALID).scale.dont_know == "Don't know"


def test_dont_know_differs_from_the_points():
    message = error_for(variant('dont_know = "Don\'t know"', 'dont_know = "Sometimes"'))
    assert message == "mini.toml:8: scale.dont_know: must differ from the labels of the points"


def test_rater_item_without_name():
    message = error_for(
        variant('rater = "{name} shares information."', 'rater = "Shares information."')
    )
    assert message == "mini.toml:23: competencies[0].items[1].rater: must contain {name}"


def test_unknown_placeholder():
    message = error_for(variant('rater = "{name} listens."', 'rater = "{nme} listens."'))
    assert message == (
        "mini.toml:18: competencies[0].items[0].rater: unknown placeholder {nme}; "
        "only {name} is allowed"
    )


def test_braces_from_the_file_stay_as_written_in_the_message():
    message = error_for(variant('rater = "{name} listens."', 'rater = "{message} {at}"'))
    assert message.endswith(": unknown placeholder {message}; only {name} is allowed")
    message = error_for(variant('key = "listens"', 'key = "{name}"'))
    assert message.startswith('mini.toml:16: competencies[0].items[0].key: "{name}" is not a valid')


def test_unknown_placeholder_in_open_question():
    message = error_for(variant("What should {name} keep doing?", "What should {coachee} keep?"))
    assert message.startswith(
        "mini.toml:38: open_questions[0].rater: unknown placeholder {coachee}"
    )


def test_unknown_placeholder_in_self_wording():
    message = error_for(variant('self = "I listen."', 'self = "I listen to {you}."'))
    assert message.startswith("mini.toml:17: competencies[0].items[0].self: unknown placeholder")


def test_name_in_self_wording():
    message = error_for(variant('self = "I listen."', 'self = "{name} listens."'))
    assert message == (
        "mini.toml:17: competencies[0].items[0].self: is addressed to the coachee "
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
    assert message == f"mini.toml:39: open_questions[0].max_length: {expected}"


def test_headline_missing():
    start = VALID.index('[[open_questions]]\nkey = "headline"')
    message = error_for(VALID[:start])
    assert (
        message
        == 'mini.toml:35: open_questions: missing the question "headline" (the short description)'
    )


def test_headline_longer_than_140():
    message = error_for(variant("max_length = 140", "max_length = 141"))
    assert (
        message
        == 'mini.toml:52: open_questions[2].max_length: "headline" must be at most 140, not 141'
    )


def test_headline_for_raters_only():
    text = variant('self = "Describe yourself in 140 characters or less."\n', "")
    text = text.replace('audience = "both"', 'audience = "rater"')
    message = error_for(text)
    assert message.startswith(
        'mini.toml:49: open_questions[2].audience: "headline" is asked of the coachee'
    )


def test_unknown_audience():
    message = error_for(variant('audience = "rater"', 'audience = "raters"'))
    assert message == (
        'mini.toml:37: open_questions[0].audience: must be "self", "rater" or "both", not "raters"'
    )


def test_audience_that_is_not_a_string():
    message = error_for(variant('audience = "rater"', "audience = 3"))
    assert message == (
        'mini.toml:37: open_questions[0].audience: must be "self", "rater" or "both", '
        "not an integer"
    )


def test_rater_question_without_rater_wording():
    message = error_for(variant('rater = "What should {name} keep doing?"\n', ""))
    assert message == 'mini.toml:35: open_questions[0]: missing key "rater" (audience is "rater")'


def test_self_question_without_self_wording():
    message = error_for(variant('self = "What is your mission?"\n', ""))
    assert message == 'mini.toml:41: open_questions[1]: missing key "self" (audience is "self")'


def test_both_question_needs_both_wordings():
    message = error_for(variant('rater = "Describe {name} in 140 characters or less."\n', ""))
    assert message == 'mini.toml:47: open_questions[2]: missing key "rater" (audience is "both")'


def test_wording_for_an_audience_not_asked():
    text = variant(
        'self = "What is your mission?"\n',
        'self = "What is your mission?"\nrater = "What is the mission of {name}?"\n',
    )
    message = error_for(text)
    assert message.startswith(
        'mini.toml:45: open_questions[1].rater: not asked: audience is "self"'
    )
