"""`/docs` and `/redoc` load every asset from this server (they were blank offline with the CDN)."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "script"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]
)
async def test_api_docs_use_only_local_assets(client: httpx.AsyncClient, path: str, script: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "an asset still comes from another host"
    assert "fonts.googleapis" not in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert f"/docs-assets/{script}" in assets
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset
    assert "/openapi.json" in html


async def test_the_swagger_oauth2_redirect_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/oauth2-redirect")
    assert response.status_code == 200 and "oauth2" in response.text.lower()


async def test_no_asset_points_at_a_cdn(client: httpx.AsyncClient) -> None:
    for asset in ("/docs-assets/redoc.standalone.js", "/docs-assets/swagger-ui-bundle.js"):
        body = (await client.get(asset)).text
        assert "cdn.redoc.ly" not in body and "cdn.jsdelivr" not in body, asset
