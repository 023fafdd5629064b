"""The context object the Python Lambda runtime passes to a handler."""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid

from local_api.local_account import ACCOUNT_ID


class LambdaContext:
    """The context object the Python Lambda runtime passes to a handler (same attribute types)."""

    def __init__(
        self, function_name: str, timeout_seconds: float, memory_mb: int, region: str
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = str(memory_mb)  # the runtime passes it as a string
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        today = dt.datetime.now(dt.timezone.utc).strftime("%Y/%m/%d")
        self.log_stream_name = f"{today}/[$LATEST]{secrets.token_hex(16)}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function would time out."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))
