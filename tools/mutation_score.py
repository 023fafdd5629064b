"""The mutation score of the last ``mutmut run``, against the reviewed list of equivalent mutants.

    python -m tools.mutation_score tests/mutation/equivalent-mutants.txt [--threshold 95]
    python -m tools.mutation_score tests/mutation/equivalent-mutants.txt --draft

Reads mutmut's verdicts through its own command line (``mutmut results --all true`` and
``mutmut show NAME``), so nothing here depends on mutmut's internal files. The score is

    killed / (all mutants - listed equivalents)

where a mutant counts as killed when a test failed on it or it made the tests time out; a
survivor, a mutant no test covers and a suspicious one all count against the score. It fails
(exit 1) below the threshold, and also when the list is stale: a listed mutant that no longer
exists, that tests now kill, or whose change is no longer the one recorded for it (mutmut numbers
the mutants of a function in order, so an edit to the function renumbers them).

Each line of the list is ``NAME | CHANGE | REASON``: the mutant's name, the line(s) its change
adds as ``mutmut show`` prints them (whitespace collapsed, several lines joined by `` / ``), and
one sentence saying why no test can tell it from the original. ``--draft`` prints such lines,
with ``REASON?`` for the reason, for every survivor not listed yet: review each one, then either
kill it with a test or move its line to the list with a real reason.
"""

from __future__ import annotations

import argparse
import re
import shutil

# Runs mutmut, a fixed command of this project's environment.
import subprocess  # nosec B404
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

DEFAULT_THRESHOLD = 95.0
# mutmut's verdicts that mean a test detected the mutant.
DETECTED = frozenset({"killed", "timeout"})
# Verdicts of mutants whose tests never ran: the run is incomplete, the score meaningless.
UNFINISHED = frozenset({"not checked", "check was interrupted by user"})
_RESULT_LINE = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+?)\s*$")


@dataclass(frozen=True)
class Equivalent:
    """One reviewed entry of the list: a mutant judged equivalent, and why."""

    name: str
    change: str
    reason: str
    line_number: int


def parse_results(text: str) -> dict[str, str]:
    """Mutant name -> verdict, from the output of ``mutmut results --all true``."""
    verdicts: dict[str, str] = {}
    for line in text.splitlines():
        match = _RESULT_LINE.match(line)
        if match and "__mutmut_" in match["name"]:
            verdicts[match["name"]] = match["status"]
    return verdicts


def added_lines(diff: str) -> str:
    """The lines a mutant's diff (``mutmut show``) adds, whitespace collapsed, joined by `` / ``."""
    added = [
        " ".join(line[1:].split())
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    return " / ".join(added)


def parse_equivalents(text: str) -> tuple[list[Equivalent], list[str]]:
    """The list's entries, and a problem for each malformed or repeated line."""
    entries: list[Equivalent] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split(" | ")]
        if len(parts) != 3 or not all(parts) or parts[2] == "REASON?":
            problems.append(f"line {number}: expected 'NAME | CHANGE | REASON', got {line!r}")
            continue
        name, change, reason = parts
        if name in seen:
            problems.append(f"line {number}: {name} is listed twice")
        seen.add(name)
        entries.append(Equivalent(name, change, reason, number))
    return entries, problems


def stale_entries(
    entries: list[Equivalent], verdicts: dict[str, str], changes: dict[str, str]
) -> list[str]:
    """A problem for each entry that no longer describes a surviving mutant."""
    problems = []
    for entry in entries:
        verdict = verdicts.get(entry.name)
        if verdict is None:
            problems.append(f"line {entry.line_number}: {entry.name} no longer exists")
        elif verdict in DETECTED:
            problems.append(f"line {entry.line_number}: {entry.name} is {verdict} by the tests now")
        elif changes.get(entry.name) != entry.change:
            problems.append(
                f"line {entry.line_number}: {entry.name} now changes {changes.get(entry.name)!r},"
                f" not {entry.change!r} (renumbered: find the listed change under its new name)"
            )
    return problems


def score(verdicts: dict[str, str], equivalents: int) -> float:
    """Killed mutants, in percent of the mutants that are not equivalent."""
    detected = sum(1 for verdict in verdicts.values() if verdict in DETECTED)
    considered = len(verdicts) - equivalents
    return 100.0 if considered <= 0 else 100.0 * detected / considered


def _mutmut(*arguments: str) -> str:
    mutmut = shutil.which("mutmut") or str(Path(sys.executable).with_name("mutmut"))
    # A fixed command; the arguments are mutmut's own subcommands and mutant names.
    completed = subprocess.run(  # nosec B603
        [mutmut, *arguments], capture_output=True, text=True, check=True
    )
    return completed.stdout


def _changes(names: list[str]) -> dict[str, str]:
    """The lines each named mutant adds (``mutmut show``, two at a time)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        diffs = pool.map(lambda name: _mutmut("show", name), names)
        return {name: added_lines(diff) for name, diff in zip(names, diffs)}


def main(argv: list[str] | None = None) -> int:
    """Print the score and the survivors; exit 1 below the threshold or on a stale list."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("equivalents", type=Path, help="the reviewed list of equivalent mutants")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument(
        "--draft", action="store_true", help="print list lines for the unlisted survivors"
    )
    options = parser.parse_args(argv)

    verdicts = parse_results(_mutmut("results", "--all", "true"))
    if not verdicts:
        print("No mutmut results: run `mutmut run` (make mutation) first.")
        return 1
    entries, problems = parse_equivalents(options.equivalents.read_text(encoding="utf-8"))
    listed = {entry.name for entry in entries}
    survivors = sorted(
        name for name, verdict in verdicts.items() if verdict not in DETECTED and name not in listed
    )
    changes = _changes(sorted(listed & set(verdicts)) + (survivors if options.draft else []))
    problems += stale_entries(entries, verdicts, changes)
    unfinished = sorted(name for name, verdict in verdicts.items() if verdict in UNFINISHED)

    if options.draft:
        for name in survivors:
            print(f"{name} | {changes[name]} | REASON?")
        return 0

    counts = Counter(verdicts.values())
    result = score(verdicts, len(entries))
    detected = sum(counts[verdict] for verdict in DETECTED)
    print("Mutants by verdict: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())))
    print(f"Not equivalent, still alive ({len(survivors)}):")
    for name in survivors:
        print(f"  {name}: {verdicts[name]}")
    print(
        f"Mutation score: {detected} killed / ({len(verdicts)} mutants - {len(entries)} equivalent)"
        f" = {result:.1f}% (threshold {options.threshold:g}%)"
    )
    for problem in problems:
        print(f"{options.equivalents}: {problem}")
    if unfinished:
        print(f"{len(unfinished)} mutants were never checked: the run did not finish.")
    return 1 if problems or unfinished or result < options.threshold else 0


if __name__ == "__main__":
    sys.exit(main())
