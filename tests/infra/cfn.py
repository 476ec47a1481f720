"""infra/template.yaml as data for tests: a YAML loader for CloudFormation's short tags (!Ref,
!GetAtt, !Sub, !If...) that turns each into its long form ({"Ref": ...}, {"Fn::GetAtt": [...]}),
and a substitution of Refs by the values a test created, so tests build their moto resources
from the template's own properties instead of copies."""

from __future__ import annotations

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
