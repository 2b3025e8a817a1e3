"""The events about nominations and bounces can be registered through the API, and the
API's document lists every event the service sends."""

from feedback.webhooks.services import EVENTS


def test_every_event_can_be_registered_and_the_document_lists_them(api, client):
    response = api.post(
        "/webhooks",
        json={
            "url": "https://crm.example.com/hook",
            "events": ["invite.bounced", "nomination.pending_approval"],
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["events"] == ["invite.bounced", "nomination.pending_approval"]
    everything = api.post(
        "/webhooks", json={"url": "https://crm.example.com/all", "events": [*EVENTS]}
    )
    assert everything.status_code == 201, everything.json

    document = client.get("/api/v1/openapi.json").json
    listed = document["components"]["schemas"]["WebhookIn"]["properties"]["events"]["items"]
    assert sorted(listed["enum"]) == sorted(EVENTS)
