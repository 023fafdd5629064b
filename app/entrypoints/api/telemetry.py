"""One JSON log line per request: the access entry, carrying the command's metric as EMF.

CloudWatch turns any log line with an ``_aws`` block into metrics (Embedded Metric Format) and
keeps the other keys as searchable fields, so one line serves both the operator reading logs and
the dashboard. A Powertools log record plus a separate EMF document cost ~2x the bytes and most of
the per-request time (see ``benchmarks/PERFORMANCE.md``). Routes count metrics through
``RequestMetrics.count``; Powertools' ``Metrics`` validates and serialises each combination of
metrics once per container, and this module reuses that text.
"""

from __future__ import annotations

import json
import sys
import time
from json.encoder import encode_basestring_ascii
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

ACCESS_MESSAGE = "request"
# Made once: ``json.dumps`` is a Python-level wrapper that builds or finds an encoder per call.
_encode_json = json.JSONEncoder().encode


def _json_value(value: object) -> str:
    """``value`` as JSON: strings straight through the C string encoder, ints as digits."""
    if type(value) is str:
        return encode_basestring_ascii(value)
    if type(value) is int:
        return str(value)
    return _encode_json(value)


class RequestMetrics:
    """The counts one request records, written with its access line as EMF.

    Routes call :meth:`count`; the access line takes the counts (:meth:`take`), so nothing one
    request counted can appear in the next request's line. The EMF members of each combination
    of counts are made by Powertools (``add_metric``, which validates the names, and
    ``serialize_metric_set``) the first time the combination occurs, and reused afterwards with
    only the timestamp renewed: Powertools' per-call validation and serialisation cost ~50 us
    per request on a busy container (``benchmarks/PERFORMANCE.md``).
    """

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._counted: list[str] = []
        # names counted -> (the EMF members before the timestamp's value, those after it)
        self._members: dict[tuple[str, ...], tuple[str, str]] = {}

    def count(self, name: str) -> None:
        """Count one occurrence of the metric ``name`` (unit Count) in this request."""
        self._counted.append(name)

    def take(self) -> tuple[str, ...]:
        """The names counted since the last call, and forget them."""
        counted = tuple(self._counted)
        self._counted.clear()
        return counted

    def emf_members(self, counted: tuple[str, ...]) -> str:
        """``,"_aws":{...},"<name>":<value>...``: the EMF members of a line for ``counted``."""
        members = self._members.get(counted)
        if members is None:
            members = self._members[counted] = self._serialised(counted)
        before, after = members
        return f"{before}{time.time_ns() // 1_000_000}{after}"

    def _serialised(self, counted: tuple[str, ...]) -> tuple[str, str]:
        self._metrics.clear_metrics()
        for name in counted:
            self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        document: dict[str, Any] = dict(self._metrics.serialize_metric_set())
        self._metrics.clear_metrics()
        aws = dict(document.pop("_aws"))
        aws.pop("Timestamp", None)
        document.pop("service", None)  # a dimension the line carries already, with this value
        directive = json.dumps(aws, separators=(",", ":"))[1:]  # without the opening brace
        values = "".join(
            [f",{_json_value(name)}:{_encode_json(value)}" for name, value in document.items()]
        )
        return ',"_aws":{"Timestamp":', f",{directive}{values}"


class AccessLog:
    """Writes the access line of each request, merged with the metrics the request counted.

    The line is assembled from JSON pieces encoded once per container (the constant keys and the
    metric members); only the request's own values are encoded per request.
    """

    def __init__(self, metrics: RequestMetrics, service: str) -> None:
        self._metrics = metrics
        # Read once per container, as Powertools' own switch (POWERTOOLS_METRICS_DISABLED).
        self._metrics_enabled = not is_metrics_disabled()
        # ``service`` is also the value of the EMF dimension of the same name.
        self._head = (
            f'{{"level":"INFO","message":{json.dumps(ACCESS_MESSAGE)},'
            f'"service":{json.dumps(service)},"correlation_id":'
        )

    def write(
        self,
        correlation_id: str | None,
        http_method: str | None,
        resource: str | None,
        status_code: int | None,
        duration_ms: float,
    ) -> None:
        """Print one line: level, message, service, the request's facts and any metrics (EMF)."""
        line = (
            f'{self._head}{_json_value(correlation_id)},"http_method":{_json_value(http_method)},'
            f'"resource":{_json_value(resource)},"status_code":{_json_value(status_code)},'
            f'"duration_ms":{round(duration_ms, 2)!r}'
        )
        counted = self._metrics.take()
        if counted and self._metrics_enabled:
            line += self._metrics.emf_members(counted)
        # Looked up on each call (not bound once), like Lambda's log capture expects.
        sys.stdout.write(line + "}\n")
