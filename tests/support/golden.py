"""Golden values: what outlives a deploy, compared with literals written in the tests.

Stored items, ids derived from client input, request fingerprints, page tokens, event ids and
event bodies are read back by later versions of the code (or by clients and consumers). A test
that computed its expectation with the code under test would change along with the code; these
compare with literals, and a failure says what a change of the format costs.
"""

from __future__ import annotations

import pprint

CONSEQUENCE = (
    "This value outlives a deploy: {why}.\n"
    "Changing its format breaks what is already stored or already held by clients and consumers,\n"
    "so it needs a data migration (rewrite, or read both formats) or a new major version of the\n"
    "API or event contract. If that is the intent, ship the migration or the major version and\n"
    "update the pinned literal in tests/unit/test_golden_formats.py in the same change, saying so\n"
    "in its commit message.\n"
    "An addition is not such a change: a new optional field (or a new server-set one) adds a key\n"
    "to the product's JSON and events, and everything pinned stays as it was. Check that the new\n"
    "value differs from the pinned one only by that addition, then copy it into the literal."
)


def assert_golden(what: str, actual: object, pinned: object, *, why: str) -> None:
    """Fail with the consequences spelled out unless ``actual`` equals the ``pinned`` literal."""
    if actual == pinned:
        return
    raise AssertionError(
        f"GOLDEN FORMAT CHANGED: {what}\n"
        f"pinned:\n{pprint.pformat(pinned, width=100)}\n"
        f"now:\n{pprint.pformat(actual, width=100)}\n\n" + CONSEQUENCE.format(why=why)
    )
