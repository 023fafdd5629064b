"""The OpenAPI document as served (the committed ``docs/openapi.json``, written by ``make openapi``)
and the offline Swagger UI page for /docs."""

from __future__ import annotations

import html
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from local_api.sigv4 import SERVICE

COMMITTED_DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def _swagger_ui_dir() -> Path:
    """Where Powertools' wheel keeps Swagger UI's assets (so /docs works without internet access).

    Found without importing that subpackage, which imports pydantic: a build-time tool that
    ``make run`` does not install.
    """
    spec = importlib.util.find_spec("aws_lambda_powertools")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("aws-lambda-powertools is not installed")
    return Path(spec.submodule_search_locations[0], "event_handler", "openapi", "swagger_ui")


_ASSET_DIR = _swagger_ui_dir()
# The page's own script and its SigV4 library (aws4fetch, installed by `npm ci` in this folder,
# which `make run` does): a small npm project of its own, so serving never needs the root one.
BROWSER_DIR = Path(__file__).parent / "browser"
_JS = "text/javascript; charset=utf-8"
DOCS_ASSETS = {  # URL path -> (file, Content-Type)
    "/docs/swagger-ui.css": (_ASSET_DIR / "swagger-ui.min.css", "text/css; charset=utf-8"),
    "/docs/swagger-ui.js": (_ASSET_DIR / "swagger-ui-bundle.min.js", _JS),
    "/docs/aws4fetch.js": (BROWSER_DIR / "node_modules/aws4fetch/dist/aws4fetch.umd.js", _JS),
    "/docs/docs-page.js": (BROWSER_DIR / "docs-page.js", _JS),
}
MISSING_ASSET_HINT = "missing: run `make run` (it runs `npm ci` in local_api/browser)"


@dataclass(frozen=True)
class SigningConfig:
    """What the page signs "Try it out" requests with: the local server's own key pair."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None
    region: str
    service: str = SERVICE
    # Shown on the page only for AWS's documented example key pair; a key pair from the
    # server's environment is used but not displayed.
    show_secret: bool = False


def render_document(server_url: str) -> str:
    """The committed OpenAPI document (``make openapi``) as a server at ``server_url`` serves it:
    that address as its only ``servers`` entry."""
    document = json.loads(COMMITTED_DOCUMENT.read_text(encoding="utf-8"))
    document["servers"] = [{"url": server_url, "description": "This local API"}]
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _credentials_text(signing: SigningConfig | None) -> str:
    if signing is None:
        # Served to another machine: the key pair stays on this one (and browsers only offer
        # WebCrypto, which signing needs, to pages served from loopback or over HTTPS).
        return (
            "This page was opened from another machine, so it holds no credentials: "
            '"Try it out" sends unsigned requests, which the gateway answers with 403. '
            "Open it on the machine running the server (http://127.0.0.1:PORT/docs) to sign them."
        )
    secret = (
        f"secret access key <code>{html.escape(signing.secret_access_key)}</code>"
        if signing.show_secret
        else "the secret access key from the server's environment"
    )
    token = " and its session token" if signing.session_token else ""
    return (
        '"Try it out" signs each request in this browser with AWS Signature Version 4 '
        f"(service <code>{html.escape(signing.service)}</code>, region "
        f"<code>{html.escape(signing.region)}</code>) using the key pair this local server "
        f"accepts: access key id <code>{html.escape(signing.access_key_id)}</code>, {secret}"
        f"{token}. Local only: the deployed API needs your own AWS credentials. A signature "
        "is valid for 5 minutes: a curl command copied from a response below stops working "
        "after that (sign again with <code>make products</code> or awscurl)."
    )


def swagger_html(signing: SigningConfig | None, spec_url: str = "/openapi.json") -> str:
    """The /docs page: Swagger UI over ``spec_url`` whose "Try it out" signs with ``signing``."""
    config: dict[str, object] = {"specUrl": spec_url}
    if signing is not None:
        config["signing"] = {
            "accessKeyId": signing.access_key_id,
            "secretAccessKey": signing.secret_access_key,
            "sessionToken": signing.session_token,
            "region": signing.region,
            "service": signing.service,
        }
    # JSON inside <script>: escape "<" so no value can close the element.
    config_json = json.dumps(config).replace("<", "\\u003c")
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>products-api (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <style>
    #local-banner {{ font-family: sans-serif; font-size: 14px; line-height: 1.5; color: #3b4151;
      max-width: 1420px; margin: 20px auto 0; padding: 12px 20px; box-sizing: border-box;
      background: #eef6fc; border: 1px solid #61affe; border-radius: 4px }}
    #local-banner strong {{ display: block; margin-bottom: 4px }}
    #local-banner p {{ margin: 4px 0 }}
    #local-banner code {{ background: #fff; padding: 0 3px; border-radius: 2px }}
    #signing-error {{ color: #b00020; font-weight: bold }}
  </style>
</head>
<body>
  <div id="local-banner" role="note">
    <strong>Local API (make run)</strong>
    <p id="signing-note">{_credentials_text(signing)} <span id="signing-error"></span></p>
    <p>Every change this server stores is published as a domain event:
      <a href="/_local/events">/_local/events</a> lists them, oldest first.</p>
  </div>
  <div id="swagger-ui"></div>
  <script id="docs-config" type="application/json">{config_json}</script>
  <script src="/docs/swagger-ui.js"></script>
  <script src="/docs/aws4fetch.js"></script>
  <script src="/docs/docs-page.js"></script>
</body>
</html>
"""
