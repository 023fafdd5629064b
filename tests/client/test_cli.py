"""The `products` command: version, output formats, streaming list, --stage, several regions."""

from __future__ import annotations

import io
import json
import subprocess  # nosec B404 - runs make, as the docs do
from pathlib import Path
from typing import Any

import pytest

from products_client import cli
from tests.client.conftest import Reply, ScriptedServer, signed_region
from tests.local_api.conftest import CREDENTIALS

LAMP: dict[str, Any] = {
    "id": "0b7f4c2e-4a43-4f3b-9a57-3c9f4b1d2e10",
    "name": "Desk lamp",
    "description": "Warm white",
    "version": 3,
    "createDate": "2026-11-24T10:00:00.000Z",
    "lastUpdateDate": "2026-11-24T10:05:00.000Z",
}
CHAIR = {**LAMP, "id": "5d0e9a7c-1f2b-4c3d-8e9f-0a1b2c3d4e5f", "name": "Chair", "version": 1}


@pytest.fixture(autouse=True)
def signing_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the standard AWS chain; give it the test key pair."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS.secret_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv(cli.ENDPOINT_ENV, raising=False)


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])

    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"products {cli.version()}"
    assert cli.version()[0].isdigit()


def test_the_readme_form_make_products_runs_the_cli() -> None:
    """``make products ARGS="..."`` is how the docs run every command: it must exist and work."""
    project_root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # nosec B603 B607 - make with fixed arguments, in the project
        ["make", "--no-print-directory", "products", "ARGS=--version"],
        cwd=project_root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"products {cli.version()}"  # install chatter goes to stderr


def test_list_prints_json_lines_page_by_page_as_they_arrive(
    scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted.replies = [
        Reply(200, {"products": [LAMP], "nextToken": "t1"}),
        Reply(200, {"products": [CHAIR]}),
    ]
    out = io.StringIO()
    requests_seen_at_each_line: list[int] = []

    class Watching(io.StringIO):
        def write(self, text: str) -> int:
            if text.strip():
                requests_seen_at_each_line.append(len(scripted.requests))
            return out.write(text)

    monkeypatch.setattr("sys.stdout", Watching())

    exit_code = cli.main(["--endpoint", scripted.url, "list", "--page-size", "1"])

    assert exit_code == 0
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [LAMP, CHAIR]
    # The first product is printed before the second page is even requested.
    assert requests_seen_at_each_line == [1, 2]
    assert scripted.requests[1][1] == "/products?pageSize=1&nextToken=t1"


def test_output_table_aligns_columns_and_shortens_long_names(
    scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    long_name = {**CHAIR, "name": "A chair with a remarkably long name indeed", "description": None}
    scripted.replies = [Reply(200, {"products": [LAMP, long_name]})]

    exit_code = cli.main(["--endpoint", scripted.url, "--output", "table", "list"])

    lines = capsys.readouterr().out.splitlines()
    assert exit_code == 0
    # One column per product field (text last), headed by its JSON name in words.
    headings = [cell.strip() for cell in lines[0].split("  ") if cell.strip()]
    assert headings == [heading for _, heading, _ in cli.TABLE_COLUMNS]
    assert {"ID", "LAST UPDATE DATE", "VERSION", "NAME", "DESCRIPTION"} <= set(headings)
    assert lines[1].split("  ")[0] == LAMP["id"]
    assert "Desk lamp                       Warm white" in lines[1]
    assert "A chair with a remarkably l..." in lines[2]
    assert not lines[2].endswith(" ")
    assert lines[0].index("NAME") == lines[1].index("Desk lamp") == lines[2].index("A chair")


def test_output_table_for_one_product(
    scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.replies = [Reply(200, LAMP)]

    assert cli.main(["--endpoint", scripted.url, "--output", "table", "get", LAMP["id"]]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith(LAMP["id"])


def test_unknown_output_format_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as usage:
        cli.main(["--output", "yaml", "list"])

    assert usage.value.code == 2


def write_outputs(root: Path, stage: str, content: object) -> None:
    (root / "cdk-outputs").mkdir(exist_ok=True)
    (root / "cdk-outputs" / f"{stage}.json").write_text(json.dumps(content), encoding="utf-8")


def test_stage_reads_the_api_url_from_the_cdk_outputs_file(
    scripted: ScriptedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_outputs(
        tmp_path,
        "dev",
        {"products-api-dev": {"ApiUrl": scripted.url + "/dev/", "TableName": "products-dev"}},
    )
    monkeypatch.chdir(tmp_path)
    scripted.replies = [Reply(200, LAMP)]

    exit_code = cli.main(["--stage", "dev", "get", LAMP["id"]])

    assert exit_code == 0
    assert json.loads(capsys.readouterr().out) == LAMP
    assert scripted.requests[0][:2] == ("GET", f"/dev/products/{LAMP['id']}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            None,
            "cdk-outputs/prod.json not found: deploy the stage first with `make deploy STAGE=prod`",
        ),
        ({"products-api-prod": {"TableName": "t"}}, "has no ApiUrl outputs"),
        ("not json at all", "cannot read cdk-outputs/prod.json"),
    ],
)
def test_stage_without_a_usable_outputs_file_says_what_to_do(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: object,
    message: str,
) -> None:
    if isinstance(content, str):
        (tmp_path / "cdk-outputs").mkdir()
        (tmp_path / "cdk-outputs" / "prod.json").write_text(content, encoding="utf-8")
    elif content is not None:
        write_outputs(tmp_path, "prod", content)
    monkeypatch.chdir(tmp_path)

    exit_code = cli.main(["--stage", "prod", "list"])

    output = capsys.readouterr()
    assert exit_code == 1 and output.out == ""
    assert message in output.err


def test_stage_names_cannot_leave_the_outputs_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--stage", "../secrets", "list"]) == 1
    assert "invalid stage name" in capsys.readouterr().err


def test_stage_and_endpoint_are_mutually_exclusive() -> None:
    with pytest.raises(SystemExit) as usage:
        cli.main(["--stage", "dev", "--endpoint", "http://127.0.0.1:1", "list"])

    assert usage.value.code == 2


MULTI_REGION_OUTPUTS = {
    "products-api-global-table": {"TableName": "products-api-global"},
    "products-api-global-us-east-1": {"ApiUrl": "{east}/global/", "Region": "us-east-1"},
    "products-api-global-us-west-2": {"ApiUrl": "{west}/global/", "Region": "us-west-2"},
}


@pytest.mark.parametrize(
    ("options", "first", "second"),
    [([], "us-east-1", "us-west-2"), (["--region", "us-west-2"], "us-west-2", "us-east-1")],
)
def test_stage_calls_every_region_of_a_multi_region_stage_in_the_files_order(
    regions: tuple[ScriptedServer, ScriptedServer, ScriptedServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    first: str,
    second: str,
) -> None:
    east, west, _ = regions
    servers = {"us-east-1": east, "us-west-2": west}
    content = json.loads(
        json.dumps(MULTI_REGION_OUTPUTS).replace("{east}", east.url).replace("{west}", west.url)
    )
    write_outputs(tmp_path, "global", content)
    monkeypatch.chdir(tmp_path)
    servers[first].replies = [Reply(503, {"message": "Service temporarily unavailable"})]
    servers[second].replies = [Reply(200, LAMP)]

    exit_code = cli.main(["--stage", "global", *options, "get", LAMP["id"]])

    output = capsys.readouterr()
    assert exit_code == 0 and json.loads(output.out) == LAMP
    assert [signed_region(h) for _, _, h in servers[first].requests] == [first]
    assert [(m, p, signed_region(h)) for m, p, h in servers[second].requests] == [
        ("GET", f"/global/products/{LAMP['id']}", second)
    ]
    assert (
        f"note: GET {first} ({servers[first].url}/global): answered 503; trying {second}"
        in output.err
    )


def test_several_endpoints_come_from_the_option_or_the_environment(
    regions: tuple[ScriptedServer, ScriptedServer, ScriptedServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    east, west, _ = regions
    east.replies = [Reply(502, {"message": "Internal server error"})]
    west.replies = [Reply(200, LAMP)]
    endpoints = [f"us-east-1={east.url}", f"us-west-2={west.url}"]

    by_option = cli.main(["--endpoint", endpoints[0], "--endpoint", endpoints[1], "get", "p1"])
    monkeypatch.setenv(cli.ENDPOINT_ENV, ",".join(endpoints))
    by_environment = cli.main(["--region", "us-east-1", "get", "p1"])

    assert by_option == by_environment == 0
    assert [signed_region(h) for _, _, h in east.requests] == ["us-east-1"] * 2
    assert [signed_region(h) for _, _, h in west.requests] == ["us-west-2"] * 2
    assert capsys.readouterr().out.count('"Desk lamp"') == 2


def test_endpoints_that_do_not_say_their_region_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = cli.main(
        ["--endpoint", "http://127.0.0.1:3000", "--endpoint", "http://127.0.0.1:3001", "list"]
    )

    assert exit_code == 1
    assert capsys.readouterr().err == (
        "error: endpoint http://127.0.0.1:3000 does not say its region: with several endpoints,"
        " write each as REGION=URL ([REGION=]URL, e.g. us-west-2=http://127.0.0.1:3001)\n"
    )
