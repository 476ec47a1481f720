"""The Sweeper Lambda, scheduled every 10 minutes: settles the photos left RUNNING (see
processing.sweeper). A run that could not deal with every photo fails, so that Lambda's Errors
metric shows it; the next run tries those again."""

from __future__ import annotations

from typing import Any

from processing.runtime import config
from processing.sweeper import sweep


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    settings = config()
    report = sweep(
        results=settings.result_store(),
        executions=settings.execution_control(),
        starter=settings.execution_starter(),
        settings=settings.sweep_settings(),
    )
    if report.errors:
        raise RuntimeError(f"{report.errors} of {report.stuck} stuck photos could not be settled")
    return {"stuck": report.stuck, "actions": report.actions}
