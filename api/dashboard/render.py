"""Templates and the headers every dashboard response carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from . import views
from .sessions import CSRF_FIELD, Session

HERE = Path(__file__).parent
SESSION = web.RequestKey("dashboard_session", Session)
ASSETS = web.AppKey("dashboard_assets", dict)

# Everything the pages load comes from this server: no script, style or media from anywhere else,
# no inline script, and no framing (clickjacking).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "media-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make browsers send `Origin: null` on our own forms
    "Cache-Control": "no-store",
}


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"),
                               autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(clock=views.clock, money=views.money)
    static = app.router.add_static("/dashboard/static", HERE / "static", append_version=True)
    # Versioned once here: aiohttp reads and hashes the file at every url_for(), on the event loop.
    app[ASSETS] = {p.name: str(static.url_for(filename=p.name)) for p in (HERE / "static").iterdir()}


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    session = request.get(SESSION)
    context.update(session=session, csrf=session.csrf if session else "", csrf_field=CSRF_FIELD,
                   static=request.app[ASSETS].__getitem__)
    return aiohttp_jinja2.render_template(template, request, context, status=status)


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})
