"""infra/template.yaml as data for tests: a YAML loader for CloudFormation's short tags (!Ref,
!GetAtt, !Sub, !If...) that turns each into its long form ({"Ref": ...}, {"Fn::GetAtt": [...]}),
and a substitution of Refs by the values a test created, so tests build their moto resources
from the template's own properties instead of copies."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "infra/template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@cache
def _load(path: Path, mtime: float) -> dict[str, Any]:
    loaded = yaml.load(path.read_text(), Loader=_CloudFormationLoader)  # a SafeLoader subclass
    assert isinstance(loaded, dict)
    return loaded


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return _load(path, path.stat().st_mtime)


def resource(name: str, template: dict[str, Any] | None = None) -> dict[str, Any]:
    found = (template or load_template())["Resources"][name]
    assert isinstance(found, dict)
    return found


def properties(name: str) -> dict[str, Any]:
    props = resource(name).get("Properties", {})
    assert isinstance(props, dict)
    return props


def substitute(value: Any, refs: dict[str, Any]) -> Any:
    """``value`` with each {"Ref": name} replaced by ``refs[name]`` and each {"Fn::GetAtt":
    [name, attribute]} by ``refs["name.attribute"]``; one not given, or any other intrinsic, is
    an error: the test would be using something it did not create."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return refs[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            return refs[".".join(value["Fn::GetAtt"])]
        intrinsic = [k for k in value if k.startswith("Fn::")]
        if intrinsic:
            raise ValueError(f"cannot resolve {intrinsic[0]} here: {value!r}")
        return {k: substitute(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, refs) for v in value]
    return value


# -- the stack's pieces, for contract tests and for building moto resources ----------------------

INFRA = TEMPLATE.parent
DEFINITION = INFRA / "statemachine" / "photo_pipeline.asl.json"


def resources_of(kind: str, path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {
        name: found
        for name, found in load_template(path)["Resources"].items()
        if found["Type"] == kind
    }


def functions(path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """Each function's properties with the template's Globals applied, as SAM applies them."""
    defaults = load_template(path).get("Globals", {}).get("Function", {})
    return {
        name: {**defaults, **found.get("Properties", {})}
        for name, found in resources_of("AWS::Serverless::Function", path).items()
    }


def definition_substitutions() -> dict[str, Any]:
    (machine,) = resources_of("AWS::Serverless::StateMachine").values()
    return dict(machine["Properties"].get("DefinitionSubstitutions", {}))


def definition_names() -> set[str]:
    """The ``${...}`` names the state machine definition uses."""
    return set(re.findall(r"\$\{([A-Za-z0-9]+)\}", DEFINITION.read_text()))


def state_machine_definition() -> str:
    """The definition as Step Functions receives it, stand-in ARNs and names for its
    substitutions (moto stores it; it runs no Lambda)."""
    values = {
        name: f"arn:aws:lambda:eu-west-1:123456789012:function:{name}"
        if name.endswith("Arn")
        else name
        for name in definition_names()
    }
    return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: values[m.group(1)], DEFINITION.read_text())


def results_table(name: str) -> dict[str, Any]:
    """CreateTable's arguments for the results table exactly as the template declares it: keys,
    attributes and indexes (the sweeper's `Running` among them)."""
    table = properties("ResultsTable")
    arguments: dict[str, Any] = {
        "TableName": name,
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": table["AttributeDefinitions"],
        "BillingMode": table.get("BillingMode", "PROVISIONED"),
    }
    if table.get("GlobalSecondaryIndexes"):
        arguments["GlobalSecondaryIndexes"] = table["GlobalSecondaryIndexes"]
    return arguments


def create_results_table(client: Any, name: str) -> None:
    client.create_table(**results_table(name))
    ttl = properties("ResultsTable").get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def create_photo_bucket(client: Any, name: str, region: str) -> None:
    """The photo bucket, versioned as the template says."""
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    versioning = properties("PhotoBucket").get("VersioningConfiguration")
    if versioning:
        client.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": versioning["Status"]}
        )
