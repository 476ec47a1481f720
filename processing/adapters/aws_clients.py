"""boto3 clients as every AWS adapter gets them: one retry policy and timeouts, in one place.

Standard retry mode (botocore's token-bucket retries with exponential backoff and jitter, on
throttling and transient errors, 3 attempts) rather than the legacy default, so a brief throttle
is absorbed inside the call; whatever still fails surfaces as TransientError for the state
machine's own retries. Timeouts are bounded so a stuck connection fails a step's attempt instead
of holding the Lambda until its own timeout.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

RETRIES: dict[str, Any] = {"mode": "standard", "max_attempts": 3}
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30


def client_config(**options: Any) -> Config:
    return Config(
        retries=RETRIES,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        **options,
    )


def aws_client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=endpoint_url, config=client_config()
    )
