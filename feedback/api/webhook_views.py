"""The API's webhook operations: register an endpoint (its secret shown once), list
endpoints with their last delivery, list an endpoint's deliveries, remove one."""

from flask import Response

from ..database import commit
from ..webhooks import services as webhooks
from ..webhooks.models import WebhookDelivery, WebhookEndpoint
from . import schemas as s
from .auth import current_coach
from .blueprint import bp
from .spec import answers, operation
from .views import _body, _field_problem, utc


def _delivery(delivery: WebhookDelivery) -> s.Delivery:
    return s.Delivery(
        id=delivery.id,
        message_id=delivery.message_id,
        event=delivery.event,
        state=delivery.state,
        attempts=delivery.attempts,
        last_status=delivery.last_status,
        last_error=delivery.last_error,
        created_at=utc(delivery.created_at),
        delivered_at=utc(delivery.delivered_at),
    )


def _webhook(endpoint: WebhookEndpoint, model=s.Webhook, **extra):
    latest = webhooks.deliveries_of(endpoint, limit=1)
    return model(
        id=endpoint.id,
        url=endpoint.url,
        events=endpoint.events,
        created_at=utc(endpoint.created_at),
        last_delivery=_delivery(latest[0]) if latest else None,
        **extra,
    )


@bp.get("/webhooks")
@operation(resp=answers(HTTP_200=s.WebhookList), tags=["webhooks"])
def list_webhooks():
    """The coach's webhook endpoints, each with its last delivery."""
    return s.WebhookList(webhooks=[_webhook(e) for e in webhooks.endpoints_of(current_coach())])


@bp.post("/webhooks")
@operation(json=s.WebhookIn, resp=answers(415, HTTP_201=s.WebhookCreated), tags=["webhooks"])
def add_webhook(json: s.WebhookIn):
    """Register an endpoint for some events; the answer holds its signing secret, which
    is never shown again."""
    body = _body(json)
    try:
        endpoint = webhooks.create_endpoint(current_coach(), url=body.url, events=body.events)
    except ValueError as exc:
        raise _field_problem("url", str(exc)) from None
    commit()
    return _webhook(endpoint, s.WebhookCreated, secret=endpoint.secret), 201


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@operation(resp=answers(HTTP_200=s.DeliveryList), tags=["webhooks"])
def list_deliveries(webhook_id: int):
    """An endpoint's latest deliveries with what became of each, newest first."""
    endpoint = webhooks.endpoint_of(current_coach(), webhook_id)
    return s.DeliveryList(deliveries=[_delivery(d) for d in webhooks.deliveries_of(endpoint)])


@bp.delete("/webhooks/<int:webhook_id>")
@operation(resp=answers(HTTP_204=None), tags=["webhooks"])
def remove_webhook(webhook_id: int):
    """Stop sending to an endpoint; its deliveries go with it."""
    webhooks.remove_endpoint(webhooks.endpoint_of(current_coach(), webhook_id))
    commit()
    return Response(status=204)
