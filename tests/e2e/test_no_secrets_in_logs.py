"""The local gateway's whole output after an attack run holds no credential of any kind.

Secrets here: the server's secret key and session token, every token and signature a client sent,
and every Authorization header value. The log may name what differed, never the values.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from tests.e2e.conftest import running_local_api, server_environment
from tests.local_api.test_http_framing import exchange
from tests.support.signed_http import send, sign

pytestmark = pytest.mark.e2e

SERVER_TOKEN = "server-session-token-LOGTEST"
SERVER_KEYS = Credentials("ASIAE2ELOGTEST000000", "server-secret/key+for-log-test", SERVER_TOKEN)


def signature_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].rsplit("Signature=", 1)[1]


def test_no_secret_reaches_the_log_after_an_attack_run(tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    env = server_environment(
        AWS_ACCESS_KEY_ID=SERVER_KEYS.access_key,
        AWS_SECRET_ACCESS_KEY=SERVER_KEYS.secret_key,
        AWS_SESSION_TOKEN=SERVER_TOKEN,
    )
    secrets = {SERVER_KEYS.secret_key, SERVER_TOKEN}
    statuses = {}
    with running_local_api(log_path, env=env) as (url, process):
        products = url + "/products"

        def attack(
            name: str, method: str, target: str, headers: dict[str, str], body: bytes = b""
        ) -> None:
            secrets.update(
                v
                for k, v in headers.items()
                if k.lower() in ("authorization", "x-amz-security-token")
            )
            if "Authorization" in headers and "Signature=" in headers["Authorization"]:
                secrets.add(signature_of(headers))
            statuses[name] = send(method, target, body=body, headers=headers).status

        attack("valid", "GET", products, sign("GET", products, SERVER_KEYS))
        tampered = sign("POST", products, SERVER_KEYS, body=b'{"name": "a"}')
        attack("tampered body", "POST", products, tampered, b'{"name": "b"}')
        wrong_secret = Credentials(SERVER_KEYS.access_key, "client-wrong-secret", SERVER_KEYS.token)
        secrets.add(wrong_secret.secret_key)
        attack("wrong secret", "GET", products, sign("GET", products, wrong_secret))
        wrong_token = Credentials(
            SERVER_KEYS.access_key, SERVER_KEYS.secret_key, "client-wrong-token"
        )
        attack("wrong token", "GET", products, sign("GET", products, wrong_token))
        portless = sign("GET", products.replace(url, "http://127.0.0.1"), SERVER_KEYS)
        attack("host without port", "GET", products, portless)
        incomplete = dict(sign("GET", products, SERVER_KEYS))
        incomplete["Authorization"] = (
            incomplete["Authorization"].split(", SignedHeaders")[0]
            + ", Signature=incomplete-signature-LOGTEST"
        )
        attack("incomplete", "GET", products, incomplete)
        attack("bearer", "GET", products, {"Authorization": "Bearer bearer-secret-LOGTEST"})
        presigned = f"?X-Amz-Signature=query-signature-LOGTEST&X-Amz-Security-Token={SERVER_TOKEN}"
        secrets.add("query-signature-LOGTEST")
        attack("query credentials", "GET", products + presigned, {})
        attack("unknown route", "GET", url + "/secret", sign("GET", url + "/secret", SERVER_KEYS))
        host = url.split("://", 1)[1]
        smuggling = (
            f"POST /products HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: {tampered['Authorization']}\r\n"
            f"X-Amz-Security-Token: {SERVER_TOKEN}\r\n"
            "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
        )
        statuses["bad framing"] = int(exchange(url, smuggling.encode()).split()[1])
        secrets.add("request-line-token-LOGTEST")
        bad_line = "GET /products?X-Amz-Security-Token=request-line-token-LOGTEST x HTTP/1.1\r\n"
        statuses["bad request line"] = int(exchange(url, bad_line.encode()).split()[1])

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)

    log = log_path.read_text()
    assert statuses == {
        "valid": 200,
        "tampered body": 403,
        "wrong secret": 403,
        "wrong token": 403,
        "host without port": 403,
        "incomplete": 403,
        "bearer": 403,
        "query credentials": 403,
        "unknown route": 403,
        "bad framing": 400,
        "bad request line": 400,
    }
    leaked = sorted(secret for secret in secrets if secret and secret in log)
    assert leaked == [], f"secrets in the server output: {leaked}"
    assert "signed header 'host' differs" in log  # what differed is still said
    assert "x-amz-security-token:<redacted>" in log
    assert "X-Amz-Signature=<redacted>" in log
