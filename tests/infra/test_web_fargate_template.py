"""infra/web-fargate.yaml against the app it runs and against infra/web.yaml: a misspelt variable
would be ignored in silence, a secret the execution role may not read stops every task before it
starts, a health check on a page the app does not serve replaces every task, and the parts the two
web stacks share must not drift apart."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cfnlint.decode import decode
from django.urls import resolve

from tests.infra.test_web_template import secret_arn

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> dict[str, Any]:
    loaded, matches = decode(str(ROOT / "infra" / name))
    assert matches == []
    assert loaded is not None
    return dict(loaded)


def resources() -> dict[str, Any]:
    return dict(load("web-fargate.yaml")["Resources"])


def container() -> dict[str, Any]:
    (web,) = resources()["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    return dict(web)


def environment() -> dict[str, Any]:
    return {item["Name"]: item["Value"] for item in container()["Environment"]}


def test_every_variable_the_container_gets_is_one_the_app_reads() -> None:
    web = container()
    names = {item["Name"] for item in web["Environment"] + web["Secrets"]}
    # .env.example lists every variable the settings read (tests/photoshare/test_settings.py).
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert names - listed == set()


def test_the_execution_role_reads_exactly_the_secrets_the_container_gets() -> None:
    injected = [secret_arn(item["ValueFrom"]) for item in container()["Secrets"]]
    role = resources()["ExecutionRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    (reading,) = [s for s in statements if "secretsmanager" in str(s["Action"])]
    assert reading["Action"] == "secretsmanager:GetSecretValue"
    readable = list(reading["Resource"])
    assert all(arn in readable for arn in injected)
    assert all(arn in injected for arn in readable)
    # The execution role starts the task; it gets nothing of the pipeline's.
    assert "ManagedPolicyArns" not in role


def test_the_task_role_is_the_pipeline_stacks_policy_and_nothing_more() -> None:
    task_definition = resources()["TaskDefinition"]["Properties"]
    assert task_definition["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    assert task_definition["ExecutionRoleArn"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    role = resources()["TaskRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [{"Ref": "WebAppPolicyArn"}]
    assert "Policies" not in role


def test_the_health_check_asks_for_a_page_the_app_serves() -> None:
    target_group = resources()["TargetGroup"]["Properties"]
    path = target_group["HealthCheckPath"]
    assert resolve(path).url_name == "account_login"
    assert target_group["Matcher"] == {"HttpCode": "200"}
    # The app answers it only as tests/photoshare/test_task_address.py shows: with the task's own
    # address allowed and the redirect to HTTPS left to the load balancer.
    env = environment()
    assert env["PHOTOSHARE_ALLOW_TASK_ADDRESS"] == "true"
    assert env["PHOTOSHARE_SSL_REDIRECT"] == "false"
    assert env["PHOTOSHARE_BEHIND_PROXY"] == "true"
    assert env["PHOTOSHARE_HTTPS"] == {"Fn::If": ["HasCertificate", "true", "false"]}


def test_the_load_balancer_the_container_and_the_app_use_one_port() -> None:
    (mapping,) = container()["PortMappings"]
    port = mapping["ContainerPort"]
    assert environment()["PHOTOSHARE_BIND"] == f"0.0.0.0:{port}"
    assert resources()["TargetGroup"]["Properties"]["Port"] == port
    (target,) = resources()["Service"]["Properties"]["LoadBalancers"]
    assert (target["ContainerName"], target["ContainerPort"]) == (container()["Name"], port)


def test_the_image_is_built_for_the_architecture_the_tasks_run() -> None:
    platform = resources()["TaskDefinition"]["Properties"]["RuntimePlatform"]
    assert platform == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    makefile = (ROOT / "Makefile").read_text()
    assert re.findall(r"--platform (\S+)", makefile) == ["linux/arm64"]


def test_the_http_listener_only_redirects_when_there_is_a_certificate() -> None:
    found = resources()
    https_only, http_only = found["HttpListener"]["Properties"]["DefaultActions"]["Fn::If"][1:]
    assert found["HttpListener"]["Properties"]["DefaultActions"]["Fn::If"][0] == "HasCertificate"
    assert [action["Type"] for action in https_only] == ["redirect"]
    assert https_only[0]["RedirectConfig"]["Protocol"] == "HTTPS"
    assert [action["Type"] for action in http_only] == ["fixed-response"]
    # Only the rule for the app's own host names forwards to it.
    rule = found["AppRule"]["Properties"]
    assert [condition["Field"] for condition in rule["Conditions"]] == ["host-header"]
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]


# What both web stacks hold alike: the private network, the database and the Django key.
SHARED = (
    "Vpc",
    "PrivateSubnetA",
    "PrivateSubnetB",
    "PrivateRouteTable",
    "PrivateSubnetARoutes",
    "PrivateSubnetBRoutes",
    "S3Endpoint",
    "DynamoDbEndpoint",
    "StepFunctionsEndpoint",
    "SesSmtpEndpoint",
    "DatabaseSecurityGroup",
    "DatabaseSubnetGroup",
    "Database",
    "DjangoSecretKey",
)
# Set differently on purpose: the host names, and HTTPS handled by the load balancer.
DIFFERENT_BY_DESIGN = {
    "PHOTOSHARE_ALLOWED_HOSTS",
    "PHOTOSHARE_ALLOW_TASK_ADDRESS",
    "PHOTOSHARE_HTTPS",
    "PHOTOSHARE_SSL_REDIRECT",
}


def test_the_parts_shared_with_the_app_runner_stack_are_identical() -> None:
    app_runner, fargate = load("web.yaml"), load("web-fargate.yaml")
    for name in SHARED:
        assert fargate["Resources"][name] == app_runner["Resources"][name], name
    for name in ("DatabaseInstanceClass", "DatabaseStorageGiB", "FromEmail"):
        assert fargate["Parameters"][name] == app_runner["Parameters"][name], name


def test_the_app_gets_the_same_settings_and_secrets_as_on_app_runner() -> None:
    service = load("web.yaml")["Resources"]["Service"]["Properties"]
    values = service["SourceConfiguration"]["CodeRepository"]["CodeConfiguration"]
    values = values["CodeConfigurationValues"]
    app_runner = {item["Name"]: item["Value"] for item in values["RuntimeEnvironmentVariables"]}
    fargate = environment()
    same = set(app_runner) - DIFFERENT_BY_DESIGN
    assert {name: fargate.get(name) for name in same} == {name: app_runner[name] for name in same}
    assert set(fargate) - set(app_runner) <= DIFFERENT_BY_DESIGN
    secrets = {item["Name"]: item["Value"] for item in values["RuntimeEnvironmentSecrets"]}
    assert {item["Name"]: item["ValueFrom"] for item in container()["Secrets"]} == secrets
