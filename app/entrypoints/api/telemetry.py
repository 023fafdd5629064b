"""One JSON log line per request: the access entry, carrying the command's metric as EMF.

CloudWatch turns any log line with an ``_aws`` block into metrics (Embedded Metric Format) and
keeps the other keys as searchable fields, so one line serves both the operator reading logs and
the dashboard. A separate Powertools log record plus a separate EMF document cost ~2x the bytes
and most of the per-request time (see ``benchmarks/PERFORMANCE.md``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

ACCESS_MESSAGE = "request"


class AccessLog:
    """Writes the access line of each request, merged with the metrics the request recorded."""

    def __init__(self, metrics: Metrics, service: str) -> None:
        self._metrics = metrics
        self._service = service
        # Read once per container, as Powertools' own switch (POWERTOOLS_METRICS_DISABLED).
        self._metrics_enabled = not is_metrics_disabled()

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
            "service": self._service,
            "correlation_id": correlation_id,
            "http_method": http_method,
            "resource": resource,
            "status_code": status_code,
            "duration_ms": round(duration_ms, 2),
        }
        metrics = self._metrics
        if metrics.metric_set:
            if self._metrics_enabled:
                # Powertools builds the EMF document (namespace, dimensions incl. service, values).
                entry.update(metrics.serialize_metric_set())
            metrics.clear_metrics()
        # print() looks up sys.stdout on each call, like Lambda's log capture expects.
        print(json.dumps(entry, separators=(",", ":")), file=sys.stdout)
