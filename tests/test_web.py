"""App-wide behaviour: health check, plotly.js served locally, error pages."""

import re


def test_healthz_answers_ok_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable"}


def test_static_files_are_compressed_and_pages_are_not(client):
    css = client.get("/static/css/app.css", headers={"Accept-Encoding": "br"})
    assert css.headers.get("Content-Encoding") == "br"
    page = client.get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in page.headers  # tokens beside reflected text: BREACH


def test_pages_load_nothing_from_elsewhere(open_cycle, browser, coach_browser):
    pages = [
        coach_browser.get("/").text,
        coach_browser.get(f"/cycles/{open_cycle['cycle_id']}").text,
        browser.get(open_cycle["portal"]).text,
        browser.get(open_cycle["portal"].rstrip("/") + "/self").text,
        browser.get("/login").text,
    ]
    for html in pages:
        for url in re.findall(r'(?:src|href|name="plotly-js" content)="([^"]+)"', html):
            assert url.startswith(("/", "#", "http://localhost/")), url


def test_unknown_pages_get_a_plain_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "This page is not here" in response.text
    assert "There is no page at this address in Mirror 360" in response.text
    assert "The requested URL" not in response.text  # werkzeug's words, for developers


def test_a_post_without_csrf_token_is_refused(client, coach):
    response = client.post("/login", data={"email": "coach@example.com", "password": "x" * 10})
    assert response.status_code == 400
    assert "CSRF" in response.text


def test_wrong_password_is_401_with_the_same_message_as_an_unknown_email(browser, coach):
    wrong = browser.submit("/login", {"email": "coach@example.com", "password": "wrong password"})
    unknown = browser.submit("/login", {"email": "nobody@example.com", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 401
    message = "That email and password do not match an account."
    assert message in wrong.text and message in unknown.text


def test_logout_ends_the_session(coach_browser):
    assert coach_browser.get("/").status_code == 200
    response = coach_browser.submit("/logout", {}, page="/")
    assert response.status_code == 302
    assert coach_browser.get("/").status_code == 302


def test_a_huge_body_is_413(client):
    response = client.post("/login", data={"email": "x" * (1024 * 1024)})
    assert response.status_code == 413


def test_development_mailbox_lists_mail_with_links(app, open_cycle, browser):
    app.config["DEV_MAILBOX"] = True  # as `feedback demo` sets it
    page = browser.get("/dev/mail/")
    assert page.status_code == 200
    assert "has started your 360 feedback" in page.text
    assert open_cycle["portal"] in page.text


def test_development_mailbox_is_off_with_smtp(make_app):
    app = make_app(MAIL_BACKEND="smtp", DEV_MAILBOX=True)
    assert app.test_client().get("/dev/mail/").status_code == 404


def test_access_log_lines_never_hold_a_link_token(app, open_cycle, caplog):
    import logging

    token = open_cycle["portal"].rstrip("/").rsplit("/", 1)[1]
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /p/%s/self HTTP/1.1" 200 -', token)
    assert caplog.records
    assert token not in caplog.text
    assert "/p/…/self" in caplog.text
