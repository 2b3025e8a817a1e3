"""Webhooks never go inside the server's network: an endpoint whose host is, or
resolves to, an internal address is refused with a problem at the field; every
delivery checks again and connects to the address it checked; no redirect is followed.
Names are resolved by the tests' own resolver (the ``dns`` fixture)."""

import ipaddress
import socket

import pytest
from api_support import Api, Receiver
from sqlalchemy import select, update
from support import Browser, sign_in

from feedback.accounts.models import Coach
from feedback.cycles.jobs import run_round
from feedback.extensions import db
from feedback.webhooks import addresses
from feedback.webhooks.models import WebhookDelivery
from feedback.webhooks.services import _post

INTERNAL = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.169.254",  # a cloud's metadata service
    "169.254.0.7",
    "0.0.0.0",  # noqa: S104  (an address to refuse, not one to listen on)
    "0.1.2.3",
    "224.0.0.251",
    "239.1.2.3",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.0.8",
    "198.18.0.1",
    "192.0.2.10",
    "::",
    "::1",
    "fe80::1",
    "fd00::1",
    "fc00::7",
    "fec0::1",
    "ff02::1",
    "ff0e::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2001:db8::1",
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_not_public(address):
    assert not addresses.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are(address):
    assert addresses.is_public(ipaddress.ip_address(address))


def _refusal(api, url: str) -> str:
    response = api.post("/webhooks", json={"url": url, "events": ["cycle.closed"]})
    assert response.status_code == 422, (url, response.json)
    assert response.headers["Content-Type"] == "application/problem+json"
    (error,) = response.json["errors"]
    assert error["field"] == "body.url"
    return error["message"]


def test_an_https_url_to_an_internal_address_is_refused(api):
    for address in INTERNAL:
        host = f"[{address}]" if ":" in address else address
        assert "internal address" in _refusal(api, f"https://{host}/hook")
    assert api.get("/webhooks").json["webhooks"] == []


def test_a_name_that_resolves_inside_is_refused(api, dns):
    dns.records["metadata.example.com"] = ["169.254.169.254"]
    dns.records["mixed.example.com"] = [dns.PUBLIC, "10.0.0.8"]  # one bad address is enough
    dns.records["mapped.example.com"] = ["::ffff:192.168.0.1"]
    for name in ("metadata", "mixed", "mapped"):
        message = _refusal(api, f"https://{name}.example.com/hook")
        assert message.startswith(f"{name}.example.com is an internal address"), message
    assert "internal address" in _refusal(api, "https://localhost/x")  # https: never here
    assert "could not be found" in _refusal(api, "https://nowhere.invalid/hook")
    assert "use https" in _refusal(api, "http://crm.example.com/hook")
    assert "use https" in _refusal(api, "http://10.0.0.1/hook")
    dns.records["localhost"] = ["10.0.0.1"]
    assert "only to this machine" in _refusal(api, "http://localhost:8000/hook")
    assert "absolute https URL" in _refusal(api, "https://crm.example.com:99999/hook")
    hook = {"url": "https://crm.example.com/h", "events": ["cycle.closed"]}
    assert api.post("/webhooks", json=hook).status_code == 201


def test_the_systems_resolver_reads_numeric_hosts_without_asking_anyone(monkeypatch):
    # Spellings of 127.0.0.1 that a check of the URL's text alone would let through.
    monkeypatch.setattr(addresses, "resolve", addresses.system_resolve)
    for host in ("2130706433", "127.1", "0x7f.0.0.1"):
        assert addresses.system_resolve(host, 443) == [ipaddress.ip_address("127.0.0.1")]
        with pytest.raises(addresses.UnsafeURL, match="internal address"):
            addresses.check(f"https://{host}/hook")


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.close()


def _close_and_deliver(api, app, world) -> WebhookDelivery:
    assert api.post(f"/cycles/{world['open_cycle_id']}/close").status_code == 200
    with app.app_context():
        run_round()
        return db.session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event == "cycle.closed")
        ).one()


def test_a_name_that_moves_inside_after_registration_is_not_delivered(api, app, world, dns):
    dns.records["crm.example.com"] = [dns.PUBLIC]
    hook = {"url": "https://crm.example.com/hook", "events": ["cycle.closed"]}
    assert api.post("/webhooks", json=hook).status_code == 201
    dns.records["crm.example.com"] = ["127.0.0.1"]  # rebound to this machine
    delivery = _close_and_deliver(api, app, world)  # the socket guard fails any connection
    assert delivery.state == "pending" and delivery.attempts == 1
    assert delivery.last_status is None
    assert delivery.last_error.startswith("not sent: crm.example.com is an internal address")


def test_the_connection_goes_to_the_address_checked(api, app, world, dns, receiver, monkeypatch):
    port = receiver.url.split(":")[2].split("/")[0]
    hook = {"url": f"http://localhost:{port}/hook", "events": ["cycle.closed"]}
    assert api.post("/webhooks", json=hook).status_code == 201

    answers = iter([["127.0.0.1"]])  # then nothing more: a second lookup would fail

    def once(host, port):
        return [ipaddress.ip_address(a) for a in next(answers, ["10.9.9.9"])]

    monkeypatch.setattr(addresses, "resolve", once)
    delivery = _close_and_deliver(api, app, world)
    assert (delivery.state, delivery.last_status) == ("delivered", 200)
    assert len(receiver.requests) == 1
    headers = {k.lower(): v for k, v in receiver.requests[0][0].items()}
    assert headers["host"] == f"localhost:{port}"


def test_https_connects_to_the_checked_address_with_the_name_for_tls(monkeypatch, dns):
    dns.records["crm.example.com"] = ["93.184.215.14"]
    opened = []

    def refuse(address, *_args, **_kwargs):
        opened.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(ConnectionRefusedError):
        _post("https://crm.example.com:8443/hook?x=1", b"{}", {})
    assert opened == [("93.184.215.14", 8443)]
    assert dns.asked == ["crm.example.com"]


def test_a_redirect_is_not_followed(api, app, world):
    receiver = Receiver(answer=302)
    try:
        hook = {"url": receiver.url, "events": ["cycle.closed"]}
        assert api.post("/webhooks", json=hook).status_code == 201
        delivery = _close_and_deliver(api, app, world)
    finally:
        receiver.close()
    assert (delivery.state, delivery.last_status) == ("pending", 302)
    assert delivery.last_error == "the receiver answered 302"
    assert len(receiver.requests) == 1


def test_the_apis_messages_stay_english_whatever_the_client_asks(api):
    response = api.post(
        "/webhooks",
        json={"url": "http://crm.example.com/hook", "events": ["cycle.closed"]},
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert "use https" in error["message"]


def test_the_apis_messages_stay_english_for_a_german_coach_signed_in_too(app, world):
    """A coach who works in German calls the API from the browser they are signed in
    with: the session's language is the pages', not the API's."""
    with app.app_context():
        db.session.execute(update(Coach).values(language="de"))
        db.session.commit()
    browser = Browser(app.test_client())
    sign_in(browser, "coach@example.com", "long enough pw")
    assert browser.get("/").headers["Content-Language"] == "de"
    api = Api(browser.client, world["write"])
    response = api.post(
        "/webhooks", json={"url": "http://crm.example.com/hook", "events": ["cycle.closed"]}
    )
    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert "use https" in error["message"]
