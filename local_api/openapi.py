"""The OpenAPI document (generated from the resolver) and the offline Swagger UI page for /docs.

``python -m local_api.openapi [PATH]`` writes the document (``make openapi``); ``--check`` exits 1
when the file on disk is stale instead of writing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import aws_lambda_powertools.event_handler.openapi.swagger_ui as swagger_ui_package

DEFAULT_PATH = Path("docs/openapi.json")
# Powertools ships Swagger UI's assets inside the wheel, so /docs works without internet access.
_ASSET_DIR = Path(swagger_ui_package.__file__).parent
SWAGGER_ASSETS = {  # URL path -> (file, Content-Type)
    "/docs/swagger-ui.css": (_ASSET_DIR / "swagger-ui.min.css", "text/css; charset=utf-8"),
    "/docs/swagger-ui.js": (
        _ASSET_DIR / "swagger-ui-bundle.min.js",
        "text/javascript; charset=utf-8",
    ),
}


def render_document(server_url: str | None = None) -> str:
    """The OpenAPI 3.1 document as committed (pretty JSON, sorted keys, trailing newline); with
    ``server_url``, the document a server at that address serves (its only ``servers`` entry)."""
    from app.entrypoints.api.openapi import openapi_document

    servers = [{"url": server_url, "description": "This local API"}] if server_url else None
    document = openapi_document(servers)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def swagger_html(spec_url: str = "/openapi.json") -> str:
    """A Swagger UI page that loads the spec from ``spec_url`` and its assets from /docs/."""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>products-api (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui.js"></script>
  <script>
    // Browsing only: "Try it out" sends unsigned requests, which the gateway answers with 403.
    window.ui = SwaggerUIBundle({{url: "{spec_url}", dom_id: "#swagger-ui", deepLinking: true}});
  </script>
</body>
</html>
"""


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the committed OpenAPI document."""
    parser = argparse.ArgumentParser(prog="python -m local_api.openapi", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    document = render_document()
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != document:
            print(f"{args.path} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(document, encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
