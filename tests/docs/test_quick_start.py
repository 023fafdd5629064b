"""The README's quick start and the multi-region page show exactly the lines ``make run``
prints to paste (defaults)."""

from __future__ import annotations

from local_api.banner import try_it_lines
from local_api.credentials import EXAMPLE_KEY_PAIR
from local_api.server import read_local_defaults
from tests.docs.markdown import PROJECT_ROOT, runnable_blocks

DEFAULT_URL = "http://127.0.0.1:3000"


def test_the_readme_shows_the_banners_first_calls() -> None:
    shell_blocks = [b for b in runnable_blocks(PROJECT_ROOT / "README.md") if b.kind == "shell"]

    assert shell_blocks[0].text.splitlines() == try_it_lines(
        [(read_local_defaults()["AWS_DEFAULT_REGION"], DEFAULT_URL)], EXAMPLE_KEY_PAIR
    )


def test_the_multi_region_page_shows_the_banners_lines_for_two_regions() -> None:
    page = PROJECT_ROOT / "docs" / "multi-region.md"
    (block,) = [b for b in runnable_blocks(page) if b.kind == "regions"]
    servers = [b.text for b in runnable_blocks(page) if b.kind == "server"]
    endpoints = [("us-east-1", DEFAULT_URL), ("us-west-2", "http://127.0.0.1:3001")]

    assert servers == ["make run REGIONS=us-east-1,us-west-2\n"]
    assert block.text.splitlines() == try_it_lines(endpoints, EXAMPLE_KEY_PAIR)
