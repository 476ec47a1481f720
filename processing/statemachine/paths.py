"""The JSONPath subset States Language uses ($, $.a.b, $.a[0], $$ for the context) and its
input/output processing: InputPath, Parameters with ``.$`` keys (a path, or an intrinsic function
call: processing.statemachine.intrinsics), ResultSelector, ResultPath, OutputPath."""

from __future__ import annotations

import copy
import re
from typing import Any

_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']+)'\]")


class PathError(Exception):
    """A path that does not match the data: Step Functions' States.Runtime error."""


def _steps(path: str) -> list[str | int]:
    if path == "$":
        return []
    if not path.startswith("$"):
        raise PathError(f"not a path: {path!r}")
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            raise PathError(f"unsupported path: {path!r}")
        name, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (name or quoted))
        position = match.end()
    return steps


def read(path: str, data: Any, context: dict[str, Any] | None = None) -> Any:
    if path.startswith("$$"):
        return read("$" + path[2:], context or {})
    value = data
    for step in _steps(path):
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            raise PathError(f"{path} matches nothing in the input") from None
    return value


def write(path: str | None, data: Any, result: Any) -> Any:
    """ResultPath: null discards the result, "$" replaces the input, "$.a.b" sets a field."""
    if path is None:
        return data
    steps = _steps(path)
    if not steps:
        return result
    merged = copy.deepcopy(data) if isinstance(data, dict) else {}
    target = merged
    for step in steps[:-1]:
        if not isinstance(step, str):
            raise PathError(f"ResultPath cannot index lists: {path}")
        target = target.setdefault(step, {})
        if not isinstance(target, dict):
            raise PathError(f"ResultPath {path} crosses a non-object")
    last = steps[-1]
    if not isinstance(last, str):
        raise PathError(f"ResultPath cannot index lists: {path}")
    target[last] = result
    return merged


def fill(template: Any, data: Any, context: dict[str, Any] | None = None) -> Any:
    """Parameters and ResultSelector: keys ending in ``.$`` take their value from a path."""
    if isinstance(template, dict):
        filled = {}
        for key, value in template.items():
            if key.endswith(".$") and intrinsics.is_intrinsic(value):
                filled[key[:-2]] = intrinsics.evaluate(value, data, context)
            elif key.endswith(".$"):
                filled[key[:-2]] = read(value, data, context)
            else:
                filled[key] = fill(value, data, context)
        return filled
    if isinstance(template, list):
        return [fill(item, data, context) for item in template]
    return template


def select(path: str | None, data: Any, context: dict[str, Any] | None = None) -> Any:
    """InputPath and OutputPath: null gives {}, absent means "$"."""
    if path is None:
        return {}
    return read(path, data, context)


# At the end: intrinsics reads paths with this module's read() and raises its PathError.
from processing.statemachine import intrinsics  # noqa: E402
