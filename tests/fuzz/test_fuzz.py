"""A short, deterministic schemathesis run in the suite (``make fuzz`` runs the long one).

Fixed seed, a bounded number of examples per operation, every phase (examples, coverage, fuzzing,
stateful along the document's links), and the checks for server errors and for status-code,
content-type, header and response-schema conformance.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.fuzz.run import fuzz

pytestmark = pytest.mark.e2e

SEED = 20261124
MAX_EXAMPLES = 10
PHASES = "examples,coverage,fuzzing,stateful"


def test_the_api_conforms_to_its_own_document_under_fuzzing(tmp_path: Path) -> None:
    started = time.monotonic()

    result = fuzz(MAX_EXAMPLES, SEED, PHASES, tmp_path, capture=True)

    elapsed = time.monotonic() - started
    log = (tmp_path / "local-api.log").read_text(errors="replace")
    assert result.returncode == 0, f"{result.stdout}\n--- the local API's log ---\n{log[-4000:]}"
    summary = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert summary is not None, result.stdout
    generated, passed = (int(n) for n in summary.groups())
    assert generated == passed >= 100, result.stdout
    assert elapsed < 60, f"the in-suite fuzz run took {elapsed:.0f} s (budget: under a minute)"
