"""The browser dashboard under /dashboard: server-rendered pages over the same store as the API."""

from __future__ import annotations

from aiohttp import web

from . import assistants, health, live, numbers, pages, render, routes, signin
from .routes import Access, Page

PAGES = [
    Page("GET", "/dashboard/sign-in", signin.sign_in_page, Access.PUBLIC),
    Page("POST", "/dashboard/sign-in", signin.sign_in, Access.PUBLIC),
    Page("GET", "/dashboard/login", signin.login_link, Access.PUBLIC),
    Page("POST", "/dashboard/sign-out", signin.sign_out, Access.ACT),
    Page("GET", "/dashboard", pages.call_list, Access.VIEW),
    Page("GET", "/dashboard/calls/{id}", pages.call_detail, Access.VIEW),
    Page("GET", "/dashboard/calls/{id}/recording", pages.recording, Access.VIEW),
    Page("POST", "/dashboard/deliveries/{id}/retry", pages.retry_delivery, Access.ADMIN),
    Page("GET", "/dashboard/live", live.live_view, Access.VIEW),
    Page("GET", "/dashboard/live/events", live.events, Access.VIEW),
    Page("POST", "/dashboard/calls/{id}/control", live.control, Access.ADMIN),
    Page("GET", "/dashboard/assistants", assistants.assistant_list, Access.VIEW),
    *assistants.EDITABLE.pages(create=assistants.create_assistant),
    Page("GET", "/dashboard/numbers", numbers.numbers_page, Access.VIEW),
    *numbers.NUMBERS.pages(),
    *numbers.TRUNKS.pages(),
    Page("GET", "/dashboard/health", health.health_page, Access.VIEW),
]


def add_dashboard(app: web.Application) -> None:
    render.setup(app)
    live.setup(app)
    routes.add(app, PAGES)
