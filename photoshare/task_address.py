"""The private addresses of the ECS task this process runs in, from ECS's task metadata endpoint.

An Application Load Balancer checks a target's health with ``Host: <the task's private
address>:<port>``, and no setting can know that address before the task starts. ECS passes each
container the URL of its metadata (``ECS_CONTAINER_METADATA_URI_V4``, link-local, no credentials)
whose ``Networks`` list the task's addresses. Read once at start by photoshare/settings.py when
``PHOTOSHARE_ALLOW_TASK_ADDRESS`` is on (infra/web-fargate.yaml); nothing else calls it.
"""

from __future__ import annotations

import json
import urllib.request

from django.core.exceptions import ImproperlyConfigured


def task_addresses(metadata_uri: str, *, timeout: float = 5.0) -> list[str]:
    """The IPv4 addresses of the container's networks; an error if there is none, since every
    health check would then fail with a 400 and ECS would replace the task over and over."""
    try:
        with urllib.request.urlopen(metadata_uri, timeout=timeout) as response:
            container = json.load(response)
    except (OSError, ValueError) as error:
        raise ImproperlyConfigured(
            f"Cannot read the task's address from ECS_CONTAINER_METADATA_URI_V4: {error}"
        ) from error
    addresses = [
        str(address)
        for network in container.get("Networks", [])
        for address in network.get("IPv4Addresses", [])
    ]
    if not addresses:
        raise ImproperlyConfigured("ECS's container metadata lists no IPv4 address.")
    return addresses
