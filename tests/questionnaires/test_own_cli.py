"""``feedback questionnaire import|export|list`` and ``feedback cycle create
--questionnaire``: a coach's own questionnaires on the command line."""

import pytest
from own_support import short_questionnaire
from sqlalchemy import select
from support import TEST_PASSWORD

from feedback.accounts.services import create_coach
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire, parse_questionnaire
from feedback.questionnaires.models import Questionnaire


@pytest.fixture
def run(app, coach):
    def run(*args, **kwargs):
        return app.test_cli_runner().invoke(args=list(args), **kwargs)

    return run


@pytest.fixture
def import_file(run):
    def import_file(path: str, coach: str = "coach@example.com"):
        return run("questionnaire", "import", path, "--coach", coach)

    return import_file


@pytest.fixture
def toml_file(tmp_path):
    def write(text: str, name: str = "lead.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def _versions(app, key):
    with app.app_context():
        return db.session.scalars(
            select(Questionnaire.version).where(Questionnaire.key == key)
        ).all()


def test_import_list_export_round_trip(app, run, toml_file, import_file):
    result = run(
        "questionnaire", "import", toml_file(short_questionnaire()), "--coach", "coach@example.com"
    )
    assert result.exit_code == 0, result.output
    assert '"team-lead" version 1 (Team lead) is stored.' in result.output

    listed = run("questionnaire", "list", "--coach", "coach@example.com")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith(f"career-360\tversion {default_questionnaire().version}\t5 points")
    assert lines[1] == "team-lead\tversion 1\t4 points\tTeam lead (not used yet)"

    exported = run("questionnaire", "export", "team-lead")
    assert exported.exit_code == 0, exported.output
    assert parse_questionnaire(exported.output) == parse_questionnaire(short_questionnaire())
    again = run(
        "questionnaire",
        "import",
        toml_file(exported.output, "again.toml"),
        "--coach",
        "coach@example.com",
    )
    assert again.exit_code == 0, again.output
    assert "is unchanged" in again.output
    assert _versions(app, "team-lead") == [1]


def test_the_default_exports_and_reads_back_equal(run):
    from feedback.questionnaires import default_questionnaire

    exported = run("questionnaire", "export", "career-360")
    assert exported.exit_code == 0, exported.output
    assert parse_questionnaire(exported.output) == default_questionnaire()


def test_a_scale_without_dont_know_round_trips(run, toml_file, import_file):
    text = short_questionnaire(points=7, dont_know=False)
    assert import_file(toml_file(text)).exit_code == 0
    exported = run("questionnaire", "export", "team-lead").output
    assert "dont_know" not in exported
    spec = parse_questionnaire(exported)
    assert spec.scale.size == 7 and spec.scale.dont_know is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            short_questionnaire().replace(
                'rater = "{name} asks questions."', 'rater = "Asks questions."'
            ),
            "lead.toml:23: competencies[0].items[1].rater: must contain {name}",
        ),
        (
            short_questionnaire(points=4).replace('"4" = "Always"', '"4" = "Always", "9" = "x"'),
            'lead.toml:7: scale.labels: must label the points "1" to "A"',
        ),
        (
            short_questionnaire().replace('key = "headline"', 'key = "summary"'),
            'lead.toml:45: open_questions: missing the question "headline"',
        ),
        ("key = [", "lead.toml: invalid TOML"),
    ],
)
def test_bad_files_exit_2_naming_field_and_line(app, run, toml_file, import_file, text, message):
    result = import_file(toml_file(text))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert _versions(app, "team-lead") == []


def test_unknown_coach_missing_file_and_unknown_key_exit_2(run, toml_file, import_file):
    result = run(
        "questionnaire", "import", toml_file(short_questionnaire()), "--coach", "x@example.com"
    )
    assert result.exit_code == 2 and "no coach with email x@example.com" in result.output
    result = import_file("/nonexistent/q.toml")
    assert result.exit_code == 2 and "q.toml: cannot be read" in result.output
    result = run("questionnaire", "export", "nothing-here")
    assert result.exit_code == 2 and 'no questionnaire "nothing-here"' in result.output


def test_the_default_key_and_another_coachs_key_are_refused(app, run, toml_file, import_file):
    text = short_questionnaire().replace('key = "team-lead"', 'key = "career-360"')
    result = import_file(toml_file(text))
    assert result.exit_code == 2
    assert 'the key "career-360" belongs to the shipped questionnaire' in result.output

    with app.app_context():
        create_coach(email="other@example.com", name="Otto Other", password=TEST_PASSWORD)
        db.session.commit()
    assert (
        run(
            "questionnaire",
            "import",
            toml_file(short_questionnaire()),
            "--coach",
            "other@example.com",
        ).exit_code
        == 0
    )
    result = run(
        "questionnaire", "import", toml_file(short_questionnaire()), "--coach", "coach@example.com"
    )
    assert result.exit_code == 2
    assert 'the key "team-lead" belongs to another questionnaire' in result.output
    # Nor can a coach start a cycle on another coach's questionnaire.
    result = run(
        "cycle",
        "create",
        "--coach",
        "coach@example.com",
        "--coachee-name",
        "Casey Doe",
        "--coachee-email",
        "casey@example.com",
        "--questionnaire",
        "team-lead",
    )
    assert result.exit_code == 2
    assert 'no questionnaire "team-lead" of yours' in result.output
    listed = run("questionnaire", "list", "--coach", "coach@example.com").output
    assert "team-lead" not in listed


def test_a_used_version_stays_and_a_change_makes_the_next(app, run, toml_file, import_file):
    run("questionnaire", "import", toml_file(short_questionnaire()), "--coach", "coach@example.com")
    result = run(
        "cycle",
        "create",
        "--coach",
        "coach@example.com",
        "--coachee-name",
        "Casey Doe",
        "--coachee-email",
        "casey@example.com",
        "--questionnaire",
        "team-lead",
    )
    assert result.exit_code == 0, result.output
    changed = short_questionnaire(extra=" Always.")
    result = import_file(toml_file(changed))
    assert result.exit_code == 0, result.output
    assert '"team-lead" version 2 (Team lead) is stored as a new version' in result.output
    assert _versions(app, "team-lead") == [1, 2]
    with app.app_context():
        cycle = db.session.scalars(select(Cycle)).one()
        assert (cycle.questionnaire.key, cycle.questionnaire.version) == ("team-lead", 1)
        assert cycle.questionnaire.items[0].rater_text == "{name} lets people finish."
        assert cycle.questionnaire.scale_points == 4
    # A new cycle takes the latest version.
    result = run(
        "cycle",
        "create",
        "--coach",
        "coach@example.com",
        "--coachee-name",
        "Sam Roe",
        "--coachee-email",
        "sam@example.com",
        "--questionnaire",
        "team-lead",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        versions = [
            c.questionnaire.version for c in db.session.scalars(select(Cycle).order_by(Cycle.id))
        ]
    assert versions == [1, 2]
    exported = run("questionnaire", "export", "team-lead", "--version", "1").output
    assert "Always." not in exported
    listed = run("questionnaire", "list", "--coach", "coach@example.com").output
    assert "team-lead\tversion 2\t4 points\tTeam lead (used by a cycle)" in listed


def test_a_version_stored_meanwhile_is_refused_and_nothing_is_lost(app, coach, monkeypatch):
    from feedback.accounts.models import Coach
    from feedback.coaching import questionnaires

    spec = parse_questionnaire(short_questionnaire())
    with app.app_context():
        owner = db.session.get(Coach, coach)
        questionnaires.save_questionnaire(spec, owner)
        db.session.commit()
        # Another request stored version 1 between this one's read and its write.
        monkeypatch.setattr(questionnaires, "latest_version", lambda key: None)
        with pytest.raises(questionnaires.SavedMeanwhile, match="at the same moment"):
            questionnaires.save_questionnaire(spec, owner)
        db.session.commit()  # the session is still usable
        assert db.session.scalars(select(Questionnaire.version)).all() == [1]


def test_each_new_version_is_in_the_coachs_audit_trail(app, import_file, toml_file, coach_browser):
    from feedback.coaching.audit import AuditEvent

    path = toml_file(short_questionnaire("team-lead"))
    assert import_file(path).exit_code == 0
    assert import_file(path).exit_code == 0  # unchanged: no new version, nothing to record
    path = toml_file(short_questionnaire("team-lead", points=7))
    assert import_file(path).exit_code == 0
    with app.app_context():
        trail = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor, e.detail, e.coachee_id) for e in trail] == [
            ("questionnaire", "command line", "team-lead, version 1", None),
            ("questionnaire", "command line", "team-lead, version 2", None),
        ]
    page = coach_browser.get("/").text  # concerns no coachee: listed on the coachees page
    assert "Changed a questionnaire: team-lead, version 2" in page
