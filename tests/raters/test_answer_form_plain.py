"""The answer form is a plain parse of the posted form (feedback/ratings/forms.py), no
longer a WTForms form: it must draw the same fields and say the same things WTForms
did, in the page's language."""

import pytest
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from support import csrf_token
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from feedback.questionnaires import default_questionnaire
from feedback.ratings.forms import TextAnswer

ITEMS = [item.key for item in default_questionnaire().items]


def wtforms_textarea(app, value, posted, max_length, **attributes):
    """What WTForms drew for an open question, its errors after a check of ``posted``."""
    data = {} if posted is None else {"text": posted}
    with app.test_request_context("/", method="POST", data=data):

        class Form(FlaskForm):
            class Meta:
                csrf = False

            text = TextAreaField(
                validators=[
                    Optional(),
                    Length(
                        max=max_length,
                        message=_l(
                            "Please keep this under %(count)s characters.", count=max_length
                        ),
                    ),
                ]
            )

        form = Form(data={"text": value})
        form.validate()
        return str(form.text(**attributes)).replace('"text"', '"text-x"'), list(form.text.errors)


@pytest.mark.parametrize(
    ("draft", "posted"),
    [
        (None, None),
        ("Kept <b>draft</b> & more", None),
        ("draft", ""),
        ("draft", "x" * 141),
        (None, "   " * 100),
        (None, 'Calm & "clear"'),
    ],
)
@pytest.mark.parametrize("disabled", [False, True])
def test_an_open_question_is_drawn_and_checked_as_wtforms_did(app, draft, posted, disabled):
    expected, errors = wtforms_textarea(
        app, draft, posted, 140, maxlength=140, rows=2, disabled=disabled
    )
    with app.test_request_context("/"):
        field = TextAnswer("text-x", 140, draft, posted)
        field.validate()
        assert str(field(maxlength=140, rows=2, disabled=disabled)) == expected
        assert [str(e) for e in field.errors] == [str(e) for e in errors]


def test_off_scale_answers_are_refused_in_the_raters_language(open_cycle, browser, mailbox):
    browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters",
        {"raters": "uli@example.com, peer, Uli, de\nsam@example.com, peer, Sam"},
    )
    uli, sam = mailbox.link_for("uli@example.com"), mailbox.link_for("sam@example.com")
    for link, message in ((uli, "Keine gültige Auswahl."), (sam, "Not a valid choice.")):
        page = browser.get(link)
        refused = browser.post(
            link,
            data={"csrf_token": csrf_token(page.text), f"item-{ITEMS[0]}": "9", "action": "save"},
        )
        assert refused.status_code == 400
        assert refused.text.count(message) == 1
        assert ("Keine gültige Auswahl." in refused.text) == (link == uli)


def test_a_draft_text_stays_when_a_post_leaves_its_field_out(open_cycle, browser, mailbox):
    browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters", {"raters": "sam@example.com, peer, Sam"}
    )
    sam = mailbox.link_for("sam@example.com")
    browser.submit(sam, {"text-keep": "Sam keeps calm", "action": "save"})
    browser.submit(sam, {f"item-{ITEMS[0]}": "4", "action": "save"})  # no text field sent
    page = browser.get(sam).text
    assert "Sam keeps calm</textarea>" in page
    assert f'name="item-{ITEMS[0]}" value="4" checked' in page
    assert "Please keep this under" not in page
