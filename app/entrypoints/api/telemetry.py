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
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

ACCESS_MESSAGE = "request"
HIGH_RESOLUTION = 1  # seconds; EMF only states StorageResolution for high-resolution metrics

_MetricKey = tuple[tuple[str, str, int], ...]


class AccessLog:
    """Writes the access line of each request, merged with the metrics the request recorded."""

    def __init__(self, metrics: Metrics, service: str, namespace: str) -> None:
        self._metric_set: dict[str, Any] = metrics.metric_set
        self._service = service
        self._namespace = namespace
        # Read once per container, as Powertools' own switch (POWERTOOLS_METRICS_DISABLED).
        self._metrics_enabled = not is_metrics_disabled()
        self._directives: dict[_MetricKey, list[dict[str, Any]]] = {}

    def _directive(self, key: _MetricKey) -> list[dict[str, Any]]:
        """The ``CloudWatchMetrics`` block for a set of metrics (cached: it never changes)."""
        directive = self._directives.get(key)
        if directive is None:
            definitions: list[dict[str, Any]] = []
            for name, unit, resolution in key:
                definition: dict[str, Any] = {"Name": name, "Unit": unit}
                if resolution == HIGH_RESOLUTION:
                    definition["StorageResolution"] = resolution
                definitions.append(definition)
            directive = [
                {"Namespace": self._namespace, "Dimensions": [["service"]], "Metrics": definitions}
            ]
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
        entry: dict[str, Any] = {
            "level": "INFO",
            "message": ACCESS_MESSAGE,
            "service": self._service,  # also the EMF dimension below
            "correlation_id": correlation_id,
            "http_method": http_method,
            "resource": resource,
            "status_code": status_code,
            "duration_ms": round(duration_ms, 2),
        }
        metric_set = self._metric_set
        if metric_set:
            if self._metrics_enabled:
                key = tuple(
                    (name, metric["Unit"], metric.get("StorageResolution", 60))
                    for name, metric in metric_set.items()
                )
                entry["_aws"] = {
                    "Timestamp": time.time_ns() // 1_000_000,
                    "CloudWatchMetrics": self._directive(key),
                }
                for name, metric in metric_set.items():
                    entry[name] = metric["Value"]
            metric_set.clear()
        # print() looks up sys.stdout on each call, like Lambda's log capture expects.
        print(json.dumps(entry, separators=(",", ":")), file=sys.stdout)
