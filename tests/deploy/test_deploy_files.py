"""deploy/: the example settings are real settings, each with its why, and pass
`feedback check` once filled in; the gunicorn configuration builds on the repository's;
the systemd units and the nginx site are valid for systemd and nginx (each checked by
the program itself where it is installed, skipped otherwise).

gunicorn with this configuration serves two workers on one Redis in
tests/security/test_login_redis.py."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_support import stamp

from feedback.settings import Settings, parse

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
ASSIGNMENT = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")


def example_settings() -> dict[str, str]:
    """The example file's values as systemd reads them (quotes removed), commented-out
    ones left out; asserts that a comment line says why above each setting."""
    values = {}
    lines = (DEPLOY / "mirror360.env.example").read_text().splitlines()
    for number, line in enumerate(lines):
        found = ASSIGNMENT.match(line)
        if not found or " " in found.group(1):
            continue
        above = lines[number - 1] if number else ""
        assert above.startswith("# ") and not ASSIGNMENT.match(above), f"no why above {line}"
        if not line.startswith("#"):
            values[found.group(1)] = found.group(2).strip().strip('"')
    return values


def test_the_example_settings_are_real_settings_with_a_why_each():
    values = example_settings()
    names = {name.removeprefix("FEEDBACK_").lower() for name in values if name != "WEB_CONCURRENCY"}
    assert names <= set(Settings.model_fields), names - set(Settings.model_fields)
    for needed in (
        "secret_key",
        "base_url",
        "trusted_hosts",
        "proxy_fix_hops",
        "database_url",
        "ratelimit_storage_uri",
        "mail_backend",
        "smtp_host",
        "mail_send_after_request",
        "mail_background",
    ):
        assert needed in names
    settings = parse({name.removeprefix("FEEDBACK_"): value for name, value in values.items()})
    assert settings.proxy_fix_hops == 1
    assert settings.trusted_hosts == ["feedback.example.org", "127.0.0.1"]
    assert settings.mail_from == "Mirror 360 <feedback@example.org>"
    assert settings.ratelimit_storage_uri.startswith("redis://")


@pytest.mark.redis
def test_the_example_filled_in_passes_the_check(
    app, make_app, monkeypatch, database_url, redis_url
):
    values = example_settings()
    monkeypatch.setenv("WEB_CONCURRENCY", values.pop("WEB_CONCURRENCY"))
    settings = {name.removeprefix("FEEDBACK_"): value for name, value in values.items()}
    settings |= {
        "SECRET_KEY": secrets.token_urlsafe(48),  # the blanks an operator fills in
        "SMTP_PASSWORD": "the mail account's password",
        "SQLALCHEMY_DATABASE_URI": database_url,  # this test's, not the example's
        "RATELIMIT_STORAGE_URI": redis_url,
        "MAIL_FILE_DIR": None,
    }
    instance = make_app(**settings)
    stamp(instance, "heads")
    result = instance.test_cli_runner().invoke(args=["check"])
    lines = result.stdout.splitlines()
    if database_url.startswith("sqlite"):  # the example's database is PostgreSQL
        assert [line.split(" ")[0] for line in lines] == ["FEEDBACK_DATABASE_URL"], lines
    else:
        assert result.exit_code == 0, lines


def test_the_gunicorn_configuration_builds_on_the_repositorys(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    printed = subprocess.run(  # noqa: S603
        [str(BIN / "gunicorn"), "--print-config", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", printed, re.MULTILINE))
    assert config["bind"] == "['127.0.0.1:8000']"
    assert config["workers"] == "3"
    assert config["worker_tmp_dir"] == "/dev/shm"  # noqa: S108  (gunicorn's, not a file)
    # The root gunicorn.conf.py's hooks and settings come along.
    base = (ROOT / "gunicorn.conf.py").read_text()
    for hook in re.findall(r"^def ([a-z]\w*)\(", base, re.MULTILINE):
        assert config[hook] == f"<{hook}()>"
    for name, value in re.findall(r"^(\w+) = (True|False|\d+)$", base, re.MULTILINE):
        if name not in ("bind", "workers"):
            assert config[name] == value, name


def _installed_copy(path: Path, folder: Path) -> Path:
    """``path`` with the checkout of deploy/ (/srv/mirror360) being this one."""
    copy = folder / path.name
    copy.write_text(
        path.read_text()
        .replace("/srv/mirror360/.venv/bin", str(BIN))
        .replace("/srv/mirror360", str(ROOT))
    )
    return copy


def test_the_systemd_units_run_the_right_commands_and_are_valid(tmp_path):
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    texts = {unit.name: unit.read_text() for unit in units}
    assert set(texts) == {
        "mirror360-web.service",
        "mirror360-mail@.service",
        "mirror360-migrate.service",
    }
    assert "gunicorn -c deploy/gunicorn.conf.py wsgi:app" in texts["mirror360-web.service"]
    assert "feedback mail work" in texts["mirror360-mail@.service"]
    assert "feedback db upgrade" in texts["mirror360-migrate.service"]
    for text in texts.values():
        assert "EnvironmentFile=/etc/mirror360/mirror360.env" in text
        assert "User=mirror360" in text
    for name in ("mirror360-web.service", "mirror360-mail@.service"):
        assert "Requires=mirror360-migrate.service" in texts[name]
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units' syntax is not checked")
    copies = [_installed_copy(unit, tmp_path) for unit in units]
    worker = tmp_path / "mirror360-mail@1.service"
    shutil.copy(tmp_path / "mirror360-mail@.service", worker)
    checked = subprocess.run(  # noqa: S603
        [
            analyze,
            "verify",
            "--man=no",
            *[str(c) for c in copies if "@." not in c.name],
            str(worker),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # systemd-analyze exits 0 on unknown keys and bad values: what it says is the test.
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_the_nginx_site_is_valid_and_matches_the_app(tmp_path):
    site = (DEPLOY / "nginx" / "mirror360.conf").read_text()
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    upstream = re.search(r"upstream mirror360 \{[^}]*server ([\d.:]+);", site).group(1)
    assert f'bind = ["{upstream}"]' in gunicorn
    alias = re.search(r"alias /srv/mirror360/(\S+);", site).group(1)
    assert (ROOT / alias / "css" / "app.css").is_file()
    assert (DEPLOY / "nginx" / "mirror360-unavailable.html").is_file()
    nginx = shutil.which("nginx", path=f"/usr/sbin:{os.environ.get('PATH', '')}")
    if nginx is None:
        pytest.skip("nginx is not installed: the site's syntax is not checked")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate for nginx -t")
    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    files = ["-keyout", str(key), "-out", str(certificate)]
    subprocess.run(  # noqa: S603
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=x", *files],
        capture_output=True,
        check=True,
        timeout=60,
    )
    copy = _installed_copy(DEPLOY / "nginx" / "mirror360.conf", tmp_path)
    text = re.sub(
        r"/etc/letsencrypt/live/\S*/fullchain.pem", str(tmp_path / "cert.pem"), copy.read_text()
    )
    text = re.sub(r"/etc/letsencrypt/live/\S*/privkey.pem", str(tmp_path / "key.pem"), text)
    copy.write_text(text.replace("/var/log/nginx/", f"{tmp_path}/"))
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n include {copy};\n}}\n"
    )
    tested = subprocess.run(  # noqa: S603
        [nginx, "-t", "-q", "-c", str(main), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tested.returncode == 0, tested.stderr
