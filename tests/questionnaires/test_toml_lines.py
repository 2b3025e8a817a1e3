"""Finding the line of a place in a TOML file, for the questionnaire loader's messages."""

import tomllib

from feedback.questionnaires import shipped_questionnaires
from feedback.questionnaires.toml_lines import key_lines, line_of

TEXT = """\
# A comment = not a key
name = "x"
"quoted key" = 1
a.b = 2

[table]
inner = { x = 1, y = 2 }
notes = '''
[[not_a_header]]
fake = "no"
'''
after = 3

[[list]]
first = true

[[list.sub]]
k = "list 0, sub 0"

[[list.sub]]
k = "list 0, sub 1"

[[list]]
first = false

[[list.sub]]
  k = "list 1, sub 0"   # indented, with a comment

[ table.deeper ]
text = \"\"\"one
two\"\"\"
last = "end"
"""


def test_the_text_is_toml():
    tomllib.loads(TEXT)


def test_keys_and_tables():
    lines = key_lines(TEXT)
    assert lines[("name",)] == 2
    assert lines[("quoted key",)] == 3
    assert lines[("a", "b")] == 4
    assert lines[("table",)] == 6
    assert lines[("table", "inner")] == 7
    assert lines[("table", "after")] == 12


def test_multiline_strings_are_skipped():
    lines = key_lines(TEXT)
    assert lines[("table", "notes")] == 8
    assert ("not_a_header",) not in lines
    assert ("table", "fake") not in lines
    assert lines[("table", "deeper")] == 29
    assert lines[("table", "deeper", "text")] == 30
    assert lines[("table", "deeper", "last")] == 32


def test_arrays_of_tables_count_their_entries():
    lines = key_lines(TEXT)
    assert lines[("list",)] == 14  # the array: its first entry
    assert lines[("list", 0)] == 14
    assert lines[("list", 0, "first")] == 15
    assert lines[("list", 0, "sub")] == 17
    assert lines[("list", 0, "sub", 1, "k")] == 21
    assert lines[("list", 1)] == 23
    assert lines[("list", 1, "sub", 0)] == 26
    assert lines[("list", 1, "sub", 0, "k")] == 27
    assert ("list", 1, "sub", 1) not in lines


def test_line_of_falls_back_to_the_enclosing_place():
    lines = key_lines(TEXT)
    assert line_of(lines, ("table", "inner", "x")) == 7
    assert line_of(lines, ("list", 1, "sub", 0, "missing")) == 26
    assert line_of(lines, ("list", 1, "missing")) == 23
    assert line_of(lines, ("missing",)) is None
    assert line_of(lines, ()) is None


def test_every_item_and_open_question_of_the_shipped_files_is_found():
    # default.toml starts with a multi-line description.
    assert shipped_questionnaires()
    for path in shipped_questionnaires():
        text = path.read_text("utf-8")
        source = text.splitlines()
        lines = key_lines(text)
        data = tomllib.loads(text)
        for c, competency in enumerate(data["competencies"]):
            for i, item in enumerate(competency["items"]):
                for wording in ("key", "self", "rater"):
                    line = source[lines[("competencies", c, "items", i, wording)] - 1]
                    assert line.startswith(f"{wording} = "), (path.name, c, i, wording)
                assert item["key"] in source[lines[("competencies", c, "items", i, "key")] - 1]
        for q, question in enumerate(data["open_questions"]):
            line = source[lines[("open_questions", q, "max_length")] - 1]
            assert line.startswith("max_length = "), (path.name, q)
            assert str(question["max_length"]) in line
