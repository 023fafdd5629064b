"""What a multi-region stage may be: DynamoDB global tables with multi-Region strong consistency.

MRSC spans exactly three regions of one region set: three replicas, or two replicas and a witness
(a region that takes part in every write but holds no readable copy). It has no TTL, no local
secondary indexes and no transactions, and its regions are fixed when the table is created. The
stack uses none of those; the settings below are the ones a multi-region stage cannot honour.
:func:`problem` names the first rule a stage breaks, in one line, before CDK is asked anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

# The regions that may hold MRSC replicas and witnesses, by region set (aws-cdk-lib checks the
# same sets; a table never spans two of them).
REGION_SETS: dict[str, tuple[str, ...]] = {
    "US": ("us-east-1", "us-east-2", "us-west-2"),
    "EU": ("eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"),
    "AP": ("ap-northeast-1", "ap-northeast-2", "ap-northeast-3"),
}
# Three regions take part: three replicas, or two replicas and one witness.
REGIONS_TAKING_PART = 3


class MultiRegionSettings(Protocol):
    """The stage settings the rules read (``StackConfig`` has them all)."""

    @property
    def regions(self) -> list[str] | None: ...
    @property
    def witness_region(self) -> str | None: ...
    @property
    def account(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def table_customer_managed_key(self) -> bool: ...
    @property
    def web_acl_arn(self) -> str | None: ...


def region_set_of(region: str) -> str | None:
    """The name of the MRSC region set ``region`` belongs to (None: it holds no MRSC replica)."""
    return next((name for name, members in REGION_SETS.items() if region in members), None)


def _described_sets() -> str:
    return "; ".join(f"{name}: {', '.join(members)}" for name, members in REGION_SETS.items())


def _count_problem(regions: Sequence[str], witness: str | None) -> str | None:
    if witness is not None and len(regions) != REGIONS_TAKING_PART - 1:
        return (
            f"witnessRegion needs exactly {REGIONS_TAKING_PART - 1} replica regions in regions, "
            f"not {len(regions)} (MRSC takes 3 replicas, or 2 replicas and a witness)"
        )
    if witness is None and len(regions) != REGIONS_TAKING_PART:
        return (
            f"regions needs exactly {REGIONS_TAKING_PART} regions, not {len(regions)}, or "
            f"{REGIONS_TAKING_PART - 1} with witnessRegion (MRSC spans three regions)"
        )
    return None


def _region_set_problem(regions: Sequence[str], witness: str | None) -> str | None:
    taking_part = [*regions, *([witness] if witness else [])]
    outside = [region for region in taking_part if region_set_of(region) is None]
    if outside:
        return (
            f"{', '.join(outside)} cannot take part in an MRSC global table "
            f"(its region sets: {_described_sets()})"
        )
    if len({region_set_of(region) for region in taking_part}) > 1:
        return (
            f"{', '.join(taking_part)} are not in one MRSC region set "
            f"(a table never spans two: {_described_sets()})"
        )
    return None


def problem(settings: MultiRegionSettings) -> str | None:
    """The first rule of a multi-region stage that ``settings`` break, in one line (None: none)."""
    regions, witness = settings.regions, settings.witness_region
    if not regions:
        if witness is not None:
            return "witnessRegion needs regions (the replica regions of a multi-region stage)"
        return None
    duplicates = sorted({region for region in regions if regions.count(region) > 1})
    if duplicates:
        return f"regions lists {', '.join(duplicates)} more than once"
    if witness in regions:
        return f"witnessRegion {witness} is also in regions: the witness is a third region"
    found = _count_problem(regions, witness) or _region_set_problem(regions, witness)
    if found:
        return found
    if settings.account is None:
        return (
            "regions needs account (12 digits): the table and every regional stack are bound "
            "to one explicit account"
        )
    if settings.region is not None:
        return (
            f"region={settings.region} cannot be combined with regions: a multi-region stage "
            f"deploys to every region in regions (the table's stack to the first, {regions[0]})"
        )
    if settings.table_customer_managed_key:
        return (
            "tableCustomerManagedKey=true cannot be combined with regions: a global table needs "
            "its own customer-managed key in every replica region; multi-region stages encrypt "
            "the table with the AWS-managed key"
        )
    if settings.web_acl_arn:
        return (
            "webAclArn cannot be combined with regions: a regional web ACL protects APIs of its "
            "own region only"
        )
    return None
