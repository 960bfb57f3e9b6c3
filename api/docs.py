"""`/docs`: Swagger UI served from the files of the swagger-ui-py package, so it needs no network."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from swagger_ui.utils import SWAGGER_UI_PY_ROOT

STATIC = Path(SWAGGER_UI_PY_ROOT) / "static"
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>VoiceDock API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js"></script>
<script>
window.onload = () => {
  window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    validatorUrl: null, presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout", persistAuthorization: true});
};
</script></body></html>
"""


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


def add_docs(app: web.Application) -> None:
    app.router.add_get("/docs", docs_page)
    app.router.add_static("/docs/static", STATIC)
