"""infra/web.yaml against the app it runs: a misspelt variable would be ignored in silence (the
setting keeps its default), and a secret the role may not read stops every instance at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]


def template() -> dict[str, Any]:
    loaded, matches = decode(str(ROOT / "infra" / "web.yaml"))
    assert matches == []
    assert loaded is not None
    return dict(loaded)


def service_values() -> dict[str, Any]:
    service = template()["Resources"]["Service"]["Properties"]
    code = service["SourceConfiguration"]["CodeRepository"]["CodeConfiguration"]
    return dict(code["CodeConfigurationValues"])


def test_every_variable_the_service_sets_is_one_the_app_reads() -> None:
    values = service_values()
    names = {
        item["Name"]
        for item in values["RuntimeEnvironmentVariables"] + values["RuntimeEnvironmentSecrets"]
    }
    # .env.example lists every variable the settings read (tests/photoshare/test_settings.py).
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert names - listed == set()


def secret_arn(value: Any) -> Any:
    """The secret an entry names: a Ref to it, or the ARN before App Runner's ":key::" suffix."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        arn = str(value["Fn::Sub"]).rsplit(":", 3)[0]
        name = arn.removeprefix("${").removesuffix("}")
        if "." in name:
            resource, attribute = name.split(".", 1)
            return {"Fn::GetAtt": [resource, attribute]}
        return {"Ref": name}
    return value


def test_the_instance_role_reads_exactly_the_secrets_the_service_passes() -> None:
    resources = template()["Resources"]
    passed = [secret_arn(item["Value"]) for item in service_values()["RuntimeEnvironmentSecrets"]]
    role = resources["InstanceRole"]["Properties"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "secretsmanager:GetSecretValue"
    readable = list(statement["Resource"])
    assert all(arn in readable for arn in passed)
    assert all(arn in passed for arn in readable)
    # What the app may do to the pipeline's resources is the pipeline stack's policy, nothing more.
    assert role["ManagedPolicyArns"] == [{"Ref": "WebAppPolicyArn"}]
