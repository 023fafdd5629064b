"""The mutation score script (``make mutation``): reading mutmut's output and the reviewed list."""

from __future__ import annotations

from tools import mutation_score

RESULTS = """\
    app.domain.model.x_utc_now__mutmut_1: killed
    app.domain.model.x_utc_now__mutmut_2: survived
    app.domain.model.x_utc_now__mutmut_3: timeout
    app.entrypoints.api.messages.xǁBadRequestǁ__init____mutmut_1: no tests
    app.adapters.dynamodb_items.x_key__mutmut_4: suspicious
"""
SHOW = """\
# app.domain.model.x_utc_now__mutmut_2: survived
--- app/domain/model.py
+++ app/domain/model.py
@@ -1,4 +1,4 @@
 def utc_now() -> datetime:
-    now = datetime.now(timezone.utc)
+    now = datetime.now(None)
     return now.replace(microsecond=now.microsecond // 1000 * 1000)
"""


def test_results_give_every_mutant_its_verdict() -> None:
    verdicts = mutation_score.parse_results("Some heading\n" + RESULTS)
    assert verdicts == {
        "app.domain.model.x_utc_now__mutmut_1": "killed",
        "app.domain.model.x_utc_now__mutmut_2": "survived",
        "app.domain.model.x_utc_now__mutmut_3": "timeout",
        "app.entrypoints.api.messages.xǁBadRequestǁ__init____mutmut_1": "no tests",
        "app.adapters.dynamodb_items.x_key__mutmut_4": "suspicious",
    }


def test_a_change_is_the_lines_the_mutant_adds() -> None:
    assert mutation_score.added_lines(SHOW) == "now = datetime.now(None)"
    two = "+++ f\n-a\n+  x =  1\n+  y = 2\n"
    assert mutation_score.added_lines(two) == "x = 1 / y = 2"


def test_the_score_counts_timeouts_as_killed_and_leaves_equivalents_out() -> None:
    verdicts = mutation_score.parse_results(RESULTS)
    assert mutation_score.score(verdicts, 0) == 40.0  # 2 detected of 5
    assert mutation_score.score(verdicts, 1) == 50.0  # 2 of 4
    assert mutation_score.score({}, 0) == 100.0


def test_list_lines_are_name_change_and_reason() -> None:
    text = (
        "# a comment\n"
        "\n"
        "m__mutmut_1 | x = 1 | the default is 1\n"
        "m__mutmut_2 | x = 2 | REASON?\n"
        "m__mutmut_3 | x = 3\n"
        "m__mutmut_1 | x = 1 | again\n"
    )
    entries, problems = mutation_score.parse_equivalents(text)
    assert [(e.name, e.change, e.reason, e.line_number) for e in entries] == [
        ("m__mutmut_1", "x = 1", "the default is 1", 3),
        ("m__mutmut_1", "x = 1", "again", 6),
    ]
    assert problems == [
        "line 4: expected 'NAME | CHANGE | REASON', got 'm__mutmut_2 | x = 2 | REASON?'",
        "line 5: expected 'NAME | CHANGE | REASON', got 'm__mutmut_3 | x = 3'",
        "line 6: m__mutmut_1 is listed twice",
    ]


def test_a_stale_list_is_reported_entry_by_entry() -> None:
    entries, _ = mutation_score.parse_equivalents(
        "gone__mutmut_1 | a | r\n"
        "killed__mutmut_1 | b | r\n"
        "moved__mutmut_1 | c | r\n"
        "kept__mutmut_1 | d | r\n"
    )
    verdicts = {
        "killed__mutmut_1": "killed",
        "moved__mutmut_1": "survived",
        "kept__mutmut_1": "survived",
    }
    changes = {"moved__mutmut_1": "e", "kept__mutmut_1": "d"}
    assert mutation_score.stale_entries(entries, verdicts, changes) == [
        "line 1: gone__mutmut_1 no longer exists",
        "line 2: killed__mutmut_1 is killed by the tests now",
        "line 3: moved__mutmut_1 now changes 'e', not 'c' (renumbered: find the listed change"
        " under its new name)",
    ]
