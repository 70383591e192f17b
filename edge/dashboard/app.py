"""The dashboard's web app (Starlette, Jinja2 templates, server-sent events).

Pages and endpoints (JSON unless said otherwise; see the README's dashboard section):

* ``GET /``: the page: devices, the live alert feed and the history filter;
* ``GET /events``: server-sent events, ``device`` and ``alert`` (an alert grouped by id);
* ``GET /api/devices``: every device's state (online/offline/stopped), camera, fps, outbox depth;
* ``GET /api/alerts?device=&exam=&grade=&since=&until=&limit=``: alerts grouped by id, newest
  first (``grade`` is the alert's peak grade; ``since``/``until`` compare ``opened_at``: a date
  or UTC timestamp, ``until`` as a bare date includes that day);
* ``GET /api/alerts.csv`` (same filters): CSV export;
* ``GET /api/alerts/{alert_id}``: one alert; ``GET /api/alerts/{alert_id}/snapshot.png[?sha=]``;
* ``POST /api/alerts/{alert_id}/ack`` ``{"by": ..., "note": ...}``: acknowledge (stored, published);
* ``POST /api/devices/{device}/exam`` ``{"exam_id": "<id>" | null}``: start or end an exam.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from edge import DISCLAIMER
from edge.dashboard.auth import PasswordCheck
from edge.dashboard.bridge import Bridge
from edge.dashboard.hub import Hub
from edge.dashboard.store import GRADE_ORDER, DashboardStore

__all__ = ["create_app"]

TEMPLATES = Path(__file__).parent / "templates"
_EXAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_KEEPALIVE_S = 15.0
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$")
CSV_COLUMNS = (
    "alert_id", "device", "exam_id", "opened_at", "ended_at", "state", "end_reason",
    "peak_grade", "max_delta_t_c", "regions", "events", "acked_by", "acked_at", "ack_note",
)  # fmt: skip


class BasicAuth:
    """HTTP Basic authentication on every request (ASGI middleware, streams pass through)."""

    def __init__(self, app: ASGIApp, check: PasswordCheck) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            raw = headers.get(b"authorization")
            if self.check.user(raw.decode("latin-1") if raw else None) is None:
                response = Response(
                    "authentication required",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="thermoseg dashboard"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    out: dict[str, Any] = {
        k: q.get(k) or None for k in ("device", "exam", "grade", "since", "until")
    }
    for key in ("since", "until"):
        if out[key] and not _DATE.match(out[key]):
            raise ValueError(f"{key} {out[key]!r}: expected an ISO-8601 date or UTC timestamp")
    if out["grade"] and out["grade"] not in GRADE_ORDER:
        raise ValueError(f"grade {out['grade']!r}: expected one of {', '.join(GRADE_ORDER)}")
    out["limit"] = min(int(q.get("limit", "200")), 5000)
    return out


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(
    store: DashboardStore, hub: Hub, bridge: Bridge, password: PasswordCheck | None = None
) -> ASGIApp:
    """The ASGI app; ``password`` None: no authentication (loopback only, see the CLI)."""
    templates = Jinja2Templates(directory=str(TEMPLATES))

    async def index(request: Request) -> Response:
        return templates.TemplateResponse(
            request, "index.html", {"disclaimer": DISCLAIMER, "grades": GRADE_ORDER}
        )

    async def events(request: Request) -> Response:
        q = hub.subscribe()

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\nevent: hello\ndata: {}\n\n"
                while not await request.is_disconnected():
                    try:
                        yield await asyncio.wait_for(q.get(), _KEEPALIVE_S)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
            finally:
                hub.unsubscribe(q)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def devices(request: Request) -> Response:
        return JSONResponse(store.devices())

    async def alerts(request: Request) -> Response:
        try:
            return JSONResponse(store.alerts(**_filters(request)))
        except ValueError as exc:
            return _bad(str(exc))

    async def alerts_csv(request: Request) -> Response:
        try:
            groups = store.alerts(**_filters(request))
        except ValueError as exc:
            return _bad(str(exc))
        buf = io.StringIO()
        buf.write(f"# {DISCLAIMER}\n")
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for g in groups:
            last_ack = g["acks"][-1] if g["acks"] else {}
            writer.writerow(
                {
                    **g,
                    "regions": len(g["regions"]),
                    "events": len(g["events"]),
                    "acked_by": last_ack.get("by"),
                    "acked_at": last_ack.get("at"),
                    "ack_note": last_ack.get("note"),
                }
            )
        return Response(
            buf.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="thermoseg-alerts.csv"'},
        )

    async def alert(request: Request) -> Response:
        found = store.alerts(alert_id=request.path_params["alert_id"], limit=1)
        return JSONResponse(found[0]) if found else _bad("no such alert", 404)

    async def snapshot(request: Request) -> Response:
        png = store.snapshot(request.path_params["alert_id"], request.query_params.get("sha"))
        if png is None:
            return _bad("no snapshot for this alert (yet)", 404)
        # A breast thermogram: never kept in shared or disk caches.
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})

    async def ack(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _bad('expected JSON {"by": "...", "note": "..."}')
        by = str(body.get("by", "")).strip() if isinstance(body, dict) else ""
        note = str(body.get("note", "")).strip() if isinstance(body, dict) else ""
        if not 1 <= len(by) <= 64 or len(note) > 500:
            return _bad("by: 1-64 characters (staff initials or id); note: at most 500")
        try:
            message = await asyncio.to_thread(
                bridge.acknowledge, request.path_params["alert_id"], by, note
            )
        except KeyError:
            return _bad("no such alert", 404)
        return JSONResponse(message)

    async def exam(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _bad('expected JSON {"exam_id": "<id>" | null}')
        exam_id = body.get("exam_id") if isinstance(body, dict) else ""
        if exam_id is not None and not (isinstance(exam_id, str) and _EXAM.match(exam_id)):
            return _bad("exam_id: 1-32 letters, digits, '_' or '-' (an opaque id, never a name)")
        await asyncio.to_thread(bridge.set_exam, request.path_params["device"], exam_id)
        return JSONResponse({"device": request.path_params["device"], "exam_id": exam_id})

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/events", events),
            Route("/api/devices", devices),
            Route("/api/alerts", alerts),
            Route("/api/alerts.csv", alerts_csv),
            Route("/api/alerts/{alert_id}", alert),
            Route("/api/alerts/{alert_id}/snapshot.png", snapshot),
            Route("/api/alerts/{alert_id}/ack", ack, methods=["POST"]),
            Route("/api/devices/{device}/exam", exam, methods=["POST"]),
        ]
    )
    return app if password is None else BasicAuth(app, password)
