"""What every aws-mode end-to-end test shares: moto in server mode, as real HTTP endpoints for
the web app, the handlers and the browser-side uploads alike."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from processing.runtime import PipelineConfig
from tests.conftest import UsePipeline


@pytest.fixture
def moto_server(fake_aws_credentials: None) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    yield endpoint
    # moto keeps its state per process, across servers: start the next test from nothing.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    server.stop()


def aws_mode(
    use_pipeline: UsePipeline,
    endpoint: str,
    *,
    bucket: str,
    table: str,
    state_machine_arn: str,
    region: str,
) -> PipelineConfig:
    """Both halves, the handlers and Django, in aws mode against moto's server, configured
    through the one reader of the deployment's variables."""
    return use_pipeline(
        PHOTOSHARE_BACKEND="aws",
        PHOTOSHARE_BUCKET=bucket,
        PHOTOSHARE_RESULTS_TABLE=table,
        PHOTOSHARE_STATE_MACHINE_ARN=state_machine_arn,
        PHOTOSHARE_AWS_REGION=region,
        PHOTOSHARE_AWS_ENDPOINT_URL=endpoint,
    )
