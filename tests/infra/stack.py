"""The pipeline stack as infra/template.yaml declares it, for tests: read with cfn-lint's decoder
(which understands !Ref, !Sub and !GetAtt), and the data resources created in moto from the
template's own properties, so a test never runs against a table or bucket shaped differently
from the one `sam deploy` creates.

Only what moto needs and the code depends on is carried over (key schema, indexes, versioning,
queues and their redrive); intrinsic functions are resolved for the few that name other
resources of the stack.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

INFRA = Path(__file__).resolve().parents[2] / "infra"
PIPELINE_TEMPLATE = INFRA / "template.yaml"
DEFINITION = INFRA / "statemachine" / "photo_pipeline.asl.json"


@cache
def template(path: Path = PIPELINE_TEMPLATE) -> dict[str, Any]:
    decoded, problems = decode(str(path))
    if problems or decoded is None:
        raise ValueError(f"{path} does not parse: {problems}")
    return _plain(decoded)


def _plain(value: Any) -> Any:
    """cfn-lint's node classes as plain dicts and lists (comparable, printable, JSON-able)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def resources(kind: str, path: Path = PIPELINE_TEMPLATE) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {
        name: resource
        for name, resource in template(path)["Resources"].items()
        if resource["Type"] == kind
    }


def functions(path: Path = PIPELINE_TEMPLATE) -> dict[str, dict[str, Any]]:
    """Each function's properties with the template's Globals applied (as SAM applies them)."""
    defaults = template(path).get("Globals", {}).get("Function", {})
    return {
        name: {**defaults, **resource.get("Properties", {})}
        for name, resource in resources("AWS::Serverless::Function", path).items()
    }


def definition_substitutions(path: Path = PIPELINE_TEMPLATE) -> dict[str, Any]:
    (machine,) = resources("AWS::Serverless::StateMachine", path).values()
    return dict(machine["Properties"].get("DefinitionSubstitutions", {}))


def definition_names(definition: Path = DEFINITION) -> set[str]:
    """The ``${...}`` names the state machine definition uses."""
    return set(re.findall(r"\$\{([A-Za-z0-9]+)\}", definition.read_text()))


def _table_properties() -> dict[str, Any]:
    (table,) = resources("AWS::DynamoDB::Table").values()
    return table["Properties"]


def create_results_table(client: Any, name: str) -> None:
    """The results table, with the template's keys, attributes, indexes and TTL."""
    properties = _table_properties()
    arguments: dict[str, Any] = {
        "TableName": name,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    if properties.get("GlobalSecondaryIndexes"):
        arguments["GlobalSecondaryIndexes"] = [
            {k: v for k, v in index.items() if k != "ContributorInsightsSpecification"}
            for index in properties["GlobalSecondaryIndexes"]
        ]
    client.create_table(**arguments)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def create_photo_bucket(client: Any, name: str, region: str) -> None:
    """The photo bucket, versioned as the template says."""
    buckets = resources("AWS::S3::Bucket")
    photos = next(
        (b for logical, b in buckets.items() if logical == "PhotoBucket"),
        next(iter(buckets.values())),
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    versioning = photos["Properties"].get("VersioningConfiguration")
    if versioning:
        client.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": versioning["Status"]}
        )


def state_machine_definition(
    function_arn: str = "arn:aws:lambda:{region}:{account}:function:{name}",
) -> str:
    """The definition with its substitutions filled with stand-in ARNs (moto runs no Lambda)."""
    text = DEFINITION.read_text()
    values = {
        name: function_arn.format(region="eu-west-1", account="123456789012", name=name)
        for name in definition_names()
    }
    return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: values[m.group(1)], text)


def loads_definition() -> dict[str, Any]:
    return json.loads(state_machine_definition())
