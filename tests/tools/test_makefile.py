"""``make help`` lists every target the Makefile defines, each name apart from its description."""

from __future__ import annotations

import re

# Runs make help.
import subprocess  # nosec B404

from tools.releases.versions import PROJECT_ROOT


def test_make_help_lists_every_target_with_its_description_apart() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z0-9][a-z0-9-]*):", makefile, re.MULTILINE)
    shown = subprocess.run(  # nosec B603 B607
        ["make", "--no-print-directory", "help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()

    listed = {}
    for line in shown:
        match = re.fullmatch(r"  make (\S+) {2,}(\S.*)", line)
        assert match, f"name and description run together: {line!r}"
        listed[match.group(1)] = match.group(2)
    assert sorted(listed) == sorted(set(targets))
    assert "python314" in listed and "test-runtime" in listed
