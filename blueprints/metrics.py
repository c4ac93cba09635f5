"""GET /metrics in the Prometheus text format, for a metrics token or an allowed address.

Every SCIM response is counted here too (an app-level after_request), so the SCIM
blueprint needs no change; see services/ops/metrics.py for the multi-worker design.
"""

import time

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import g
from flask import request

from services.audit import requestlog
from services.ops import clock
from services.ops import config as ops_config
from services.ops import metrics
from services.ops import metrics_token
from services.readmodels import dashboard

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape():
    if not metrics_token.allowed(request.headers.get("Authorization"), request.remote_addr,
                                 current_app.config):
        response = Response("Metrics need the metrics token (Authorization: Bearer …) or an "
                            "address in METRICS_ALLOW.\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="Rollcall metrics"'
        return response
    metrics.QUEUE.set(_queue_depth())
    body = metrics.render(clock.now(), dashboard.user_counts,
                          ops_config.from_mapping(current_app.config).in_use_days)
    return Response(body, mimetype=metrics.CONTENT_TYPE)


def observe(response):
    """Count each SCIM request by method, resource, status class and client family."""
    if request.path.startswith("/scim/"):
        started = g.get("started") or time.perf_counter()
        metrics.observe(request.method, g.get("resource_type"), response.status_code,
                        request.headers.get("User-Agent"), time.perf_counter() - started,
                        _queue_depth())
    return response


def _queue_depth() -> int:
    return requestlog.writer_for(current_app).queue.qsize()


def register(app) -> None:
    app.register_blueprint(bp)
    app.after_request(observe)
