"""The commands the README and docs/ show run as written (``make test-docs``, not ``make test``).

A reader's first hour, automated: the committed files are copied to a fresh folder (nothing
installed, as after a clone), ``make run`` serves there on a free port, and every block the pages
mark ``<!-- runnable: shell -->`` or ``<!-- runnable: python -->`` runs as written, in a shell
that holds the ``export`` lines ``make run`` printed, as a reader who pasted them. Blocks marked
``<!-- runnable: regions -->`` run the same way against the page's other server block,
``make run REGIONS=us-east-1,us-west-2``. The blocks are extracted from the Markdown itself. The
only change is the ports: the pages show the defaults, 3000 (and 3001 for the second region); the
test serves on free ones, as ``make run PORT=...`` does.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess  # nosec B404 - runs git, make and the documented commands
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.markdown import PAGES, PROJECT_ROOT, CodeBlock, runnable_blocks
from tests.support.ports import consecutive_free_ports, free_port

DOCUMENTED_URL = "http://127.0.0.1:3000"
SECOND_REGION_URL = "http://127.0.0.1:3001"  # make run REGIONS=...: the next region, on PORT + 1
SERVER_BLOCKS = ["make run\n", "make run REGIONS=us-east-1,us-west-2\n"]
READY_TIMEOUT_S = 600  # a fresh copy installs Poetry, the serving packages and an npm project
BLOCK_TIMEOUT_S = 180
# Variables a reader's shell would not have: the ones make and this test's virtualenv set.
INHERITED_NOT = re.compile(r"^(MAKE|MFLAGS|VIRTUAL_ENV|PYTHONPATH|POETRY_|AWS_|PRODUCTS_API_URL)")


@dataclass
class Served:
    """``make run`` serving in the copy: its folder, URL, exported variables and process."""

    folder: Path
    url: str
    exports: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path


def _fresh_copy(destination: Path) -> None:
    """The committed and added files of the work tree, as a clone would have them."""
    listed = subprocess.run(  # nosec B603 B607 - a fixed git command
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _reader_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not INHERITED_NOT.match(name)}


def _printed_exports(banner: str) -> dict[str, str]:
    """``export A=b C=d`` lines of make run's banner, as a shell would read them."""
    exports: dict[str, str] = {}
    for line in banner.splitlines():
        line = line.strip()
        if line.startswith("export "):
            for assignment in shlex.split(line.removeprefix("export ")):
                name, _, value = assignment.partition("=")
                exports[name] = value
    return exports


def _serve(folder: Path, command: str, port: int, log: Path) -> Served:
    """``command`` (a documented ``make run ...``) with ``PORT=port``, once its banner is out."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # nosec B603 B607 - the documented command, plus PORT
            [*shlex.split(command), f"PORT={port}"],
            cwd=folder,
            env=_reader_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as in a terminal
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while "Press Ctrl-C to stop." not in log.read_text(errors="replace"):
        assert process.poll() is None, f"{command} ended:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{command} not ready:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)
    exports = _printed_exports(log.read_text())
    return Served(folder, f"http://127.0.0.1:{port}", exports, process, log)


@contextlib.contextmanager
def _stopped_at_exit(served: Served) -> Iterator[Served]:
    try:
        yield served
    finally:
        if served.process.poll() is None:
            os.killpg(served.process.pid, signal.SIGKILL)
            served.process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("clone")
    _fresh_copy(folder)
    server_blocks = [b for page in PAGES for b in runnable_blocks(page) if b.kind == "server"]
    assert sorted(b.text for b in server_blocks) == SERVER_BLOCKS, "the blocks that serve"
    log = folder.parent / "make-run.log"
    with _stopped_at_exit(_serve(folder, SERVER_BLOCKS[0], free_port(), log)) as server:
        yield server


@pytest.fixture(scope="module")
def served_regions(served: Served) -> Iterator[Served]:
    """``make run REGIONS=...`` in the same copy (installed by then), on two free ports."""
    log = served.folder.parent / "make-run-regions.log"
    port = consecutive_free_ports()
    with _stopped_at_exit(_serve(served.folder, SERVER_BLOCKS[1], port, log)) as server:
        yield server


def _blocks(kind: str) -> list[CodeBlock]:
    return [block for page in PAGES for block in runnable_blocks(page) if block.kind == kind]


def _block_id(block: CodeBlock) -> str:
    return f"{block.page.relative_to(PROJECT_ROOT)}:{block.line}"


def _run(served: Served, command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603 - the documented block, run as written
        command,
        cwd=served.folder,
        env={**_reader_environment(), **served.exports},
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_S,
    )


def test_make_run_prints_the_export_line_for_its_port(served: Served) -> None:
    assert served.exports["PRODUCTS_API_URL"] == served.url
    assert served.exports["AWS_ACCESS_KEY_ID"] and served.exports["AWS_SECRET_ACCESS_KEY"]


def test_the_pages_mark_their_examples_runnable() -> None:
    pages = {block.page.relative_to(PROJECT_ROOT).as_posix() for block in _blocks("shell")}
    assert {"README.md", "docs/local-api.md", "docs/client.md", "docs/events.md"} <= pages
    assert [_block_id(b).split(":")[0] for b in _blocks("regions")] == ["docs/multi-region.md"]
    assert [_block_id(b).split(":")[0] for b in _blocks("python")] == ["docs/client.md"]


@pytest.mark.parametrize("block", _blocks("shell"), ids=_block_id)
def test_shell_block_runs_as_written(served: Served, block: CodeBlock) -> None:
    script = "set -euo pipefail\n" + block.text.replace(DOCUMENTED_URL, served.url)
    result = _run(served, ["bash", "-c", script])

    assert result.returncode == 0, f"{_block_id(block)}:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("block", _blocks("regions"), ids=_block_id)
def test_regions_block_runs_as_written(served_regions: Served, block: CodeBlock) -> None:
    first_port = int(served_regions.url.rsplit(":", 1)[1])
    script = "set -euo pipefail\n" + block.text.replace(DOCUMENTED_URL, served_regions.url).replace(
        SECOND_REGION_URL, f"http://127.0.0.1:{first_port + 1}"
    )
    result = _run(served_regions, ["bash", "-c", script])

    assert result.returncode == 0, f"{_block_id(block)}:\n{result.stdout}\n{result.stderr}"
    assert "note: GET us-east-1" in result.stderr  # the list after the stop failed over


def test_stopping_make_run_regions_ends_every_region_with_one_line(served_regions: Served) -> None:
    os.killpg(served_regions.process.pid, signal.SIGTERM)
    served_regions.process.wait(timeout=30)
    output = served_regions.log.read_text(errors="replace")

    assert "Traceback" not in output, output[-3000:]
    assert output.count("Shutting down.") == 1, output[-3000:]


@pytest.mark.parametrize("block", _blocks("python"), ids=_block_id)
def test_python_block_runs_with_the_interpreter_the_page_names(
    served: Served, block: CodeBlock
) -> None:
    script = served.folder / "try_client.py"
    script.write_text(block.text.replace(DOCUMENTED_URL, served.url), encoding="utf-8")
    result = _run(served, [".venv/bin/python", script.name])

    assert result.returncode == 0, f"{_block_id(block)}:\n{result.stdout}\n{result.stderr}"
    assert "412" in result.stdout  # the example's stale If-Match, caught as ApiError


def test_stopping_make_run_like_a_terminal_ends_it_with_one_line(served: Served) -> None:
    """Run last (file order): SIGTERM to the whole process group, as a supervisor sends it."""
    os.killpg(served.process.pid, signal.SIGTERM)
    served.process.wait(timeout=30)
    output = served.log.read_text(errors="replace")

    assert "Traceback" not in output, output[-3000:]
    assert output.count("Shutting down.") == 1, output[-3000:]
