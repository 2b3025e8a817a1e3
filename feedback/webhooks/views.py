"""The coach's webhooks page: register an endpoint (its secret shown once), see each
endpoint's last delivery, remove one. The API does the same (``/api/v1/webhooks``)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import commit
from . import services
from .forms import RemoveWebhookForm, WebhookForm

bp = Blueprint("webhooks", __name__)


def _page(form: WebhookForm, *, created=None, status: int = 200):
    endpoints = services.endpoints_of(current_user)
    latest = {e.id: next(iter(services.deliveries_of(e, limit=1)), None) for e in endpoints}
    return render_template(
        "webhooks/endpoints.html",
        form=form,
        remove_form=RemoveWebhookForm(),
        endpoints=endpoints,
        latest=latest,
        created=created,
    ), status


@bp.get("/settings/webhooks")
@login_required
def show_webhooks():
    """The coach's endpoints, each with its last delivery, and the form to add one."""
    return _page(WebhookForm())


@bp.post("/settings/webhooks")
@login_required
def add_webhook():
    """Register an endpoint; its signing secret is shown on this one page, never again.
    A URL that may not be used is a 400 with the reason at the field."""
    form = WebhookForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        endpoint = services.create_endpoint(
            current_user, url=form.url.data, events=form.events.data
        )
    except ValueError as exc:
        form.url.errors = [str(exc)]
        return _page(form, status=400)
    commit()
    return _page(WebhookForm(formdata=None), created=endpoint)


@bp.post("/settings/webhooks/<int:endpoint_id>/remove")
@login_required
def remove_webhook(endpoint_id: int):
    """Stop sending to one of the coach's endpoints; its deliveries go with it."""
    endpoint = services.endpoint_of(current_user, endpoint_id)
    if not RemoveWebhookForm().validate_on_submit():
        abort(400, _("The form has expired; please try again."))
    url = endpoint.url
    services.remove_endpoint(endpoint)
    commit()
    flash(_("Nothing more is sent to %(url)s.", url=url), "success")
    return redirect(url_for("webhooks.show_webhooks"))
