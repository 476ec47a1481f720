from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from processing.adapters.aws_s3 import s3_client
from tests.infra.cfn import results_table

REGION = "eu-west-1"
BUCKET = "photoshare-test"
TABLE = "ImageMetadata"
# The results table exactly as infra/template.yaml declares it (keys, the sweeper's sparse
# `Running` index): tests never run against a table shaped differently from the deployed one.
RESULTS_TABLE: dict[str, Any] = results_table(TABLE)


@pytest.fixture
def aws(fake_aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def s3(aws: None) -> Any:
    client = s3_client(REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


@pytest.fixture
def dynamodb(aws: None) -> Any:
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(**RESULTS_TABLE)
    return client
