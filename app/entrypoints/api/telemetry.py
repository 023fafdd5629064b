"""One JSON log line per request: the access entry, carrying the command's metric as EMF.

CloudWatch turns any log line with an ``_aws`` block into metrics (Embedded Metric Format) and
keeps the other keys as searchable fields, so one line serves both the operator reading logs and
the dashboard. A Powertools log record plus a separate EMF document cost ~2x the bytes and most of
the per-request time (see ``benchmarks/PERFORMANCE.md``). Routes still record metrics through
Powertools' ``Metrics.add_metric`` (which validates names and units); this module only writes
them, with the metric directive built once per container instead of once per request.
"""

from __future__ import annotations

import json
import sys
import time
from json.encoder import encode_basestring_ascii
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricResolution, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

ACCESS_MESSAGE = "request"
HIGH_RESOLUTION = 1  # seconds; EMF only states StorageResolution for high-resolution metrics

_MetricKey = tuple[tuple[str, str, int], ...]

# Made once: ``json.dumps`` is a Python-level wrapper that builds or finds an encoder per call.
_encode_json = json.JSONEncoder().encode


def _json_value(value: object) -> str:
    """``value`` as JSON: strings straight through the C string encoder, ints as digits."""
    if type(value) is str:
        return encode_basestring_ascii(value)
    if type(value) is int:
        return str(value)
    return _encode_json(value)


class RequestMetrics(Metrics):
    """Powertools ``Metrics`` that validates each (name, unit, resolution) once per container.

    Powertools' ``add_metric`` re-validates the unit and resolution and formats a debug message on
    every call (~50 us per request on a busy container); after the first call of a kind, this
    records the value in the same metric set directly.
    """

    def __init__(self, service: str | None = None, namespace: str | None = None) -> None:
        super().__init__(service=service, namespace=namespace)
        # (name, unit, resolution) as called -> (name, unit, resolution) as Powertools stores them
        self._checked: dict[
            tuple[str, MetricUnit | str, MetricResolution | int], tuple[str, str, int]
        ]
        self._checked = {}

    def add_metric(
        self,
        name: str,
        unit: MetricUnit | str,
        value: float,
        resolution: MetricResolution | int = 60,
    ) -> None:
        """Record ``value`` for ``name``, validated by Powertools the first time."""
        kind = (name, unit, resolution)
        known = self._checked.get(kind)
        if known is None or not isinstance(value, int | float):
            super().add_metric(name=name, unit=unit, value=value, resolution=resolution)
            stored_name = name.strip()
            stored = self.metric_set[stored_name]
            self._checked[kind] = (stored_name, stored["Unit"], stored["StorageResolution"])
            return
        stored_name, stored_unit, stored_resolution = known
        metric = self.metric_set.get(stored_name)
        if metric is None:
            self.metric_set[stored_name] = {
                "Unit": stored_unit,
                "StorageResolution": stored_resolution,
                "Value": [float(value)],
            }
        else:
            metric["Value"].append(float(value))


class AccessLog:
    """Writes the access line of each request, merged with the metrics the request recorded.

    The line is assembled from JSON pieces encoded once per container (the constant keys and the
    metric directive); only the request's own values are encoded per request.
    """

    def __init__(self, metrics: Metrics, service: str, namespace: str) -> None:
        self._metric_set: dict[str, Any] = metrics.metric_set
        self._namespace = namespace
        # Read once per container, as Powertools' own switch (POWERTOOLS_METRICS_DISABLED).
        self._metrics_enabled = not is_metrics_disabled()
        # ``service`` is also the value of the EMF dimension of the same name.
        self._head = (
            f'{{"level":"INFO","message":{json.dumps(ACCESS_MESSAGE)},'
            f'"service":{json.dumps(service)},"correlation_id":'
        )
        self._directives: dict[_MetricKey, str] = {}

    def _directive(self, key: _MetricKey) -> str:
        """``,"CloudWatchMetrics":[...]}`` for a set of metrics (cached: it never changes)."""
        directive = self._directives.get(key)
        if directive is None:
            definitions: list[dict[str, Any]] = []
            for name, unit, resolution in key:
                definition: dict[str, Any] = {"Name": name, "Unit": unit}
                if resolution == HIGH_RESOLUTION:
                    definition["StorageResolution"] = resolution
                definitions.append(definition)
            block = [
                {"Namespace": self._namespace, "Dimensions": [["service"]], "Metrics": definitions}
            ]
            directive = f',"CloudWatchMetrics":{json.dumps(block, separators=(",", ":"))}}}'
            self._directives[key] = directive
        return directive

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
        metric_set = self._metric_set
        if metric_set:
            if self._metrics_enabled:
                line += self._emf(metric_set)
            metric_set.clear()
        # Looked up on each call (not bound once), like Lambda's log capture expects.
        sys.stdout.write(line + "}\n")

    def _emf(self, metric_set: dict[str, Any]) -> str:
        """``,"_aws":{...},"<name>":[values]...``: the EMF members of the line."""
        key = tuple(
            [
                (name, metric["Unit"], metric.get("StorageResolution", 60))
                for name, metric in metric_set.items()
            ]
        )
        values = "".join(
            [
                f",{_json_value(name)}:{_encode_json(metric['Value'])}"
                for name, metric in metric_set.items()
            ]
        )
        return f',"_aws":{{"Timestamp":{time.time_ns() // 1_000_000}{self._directive(key)}{values}'
