"""Choice rules: the comparison operators of the States Language, with And, Or and Not."""

from __future__ import annotations

import fnmatch
from typing import Any

from processing.statemachine import paths

_MISSING = object()


def _value(rule: dict[str, Any], data: Any) -> Any:
    try:
        return paths.read(rule["Variable"], data)
    except paths.PathError:
        return _MISSING


def _operand(rule: dict[str, Any], operator: str, data: Any) -> Any:
    if operator.endswith("Path"):
        return paths.read(rule[operator], data)
    return rule[operator]


_COMPARISONS = {
    "StringEquals": lambda a, b: isinstance(a, str) and a == b,
    "StringLessThan": lambda a, b: isinstance(a, str) and a < b,
    "StringGreaterThan": lambda a, b: isinstance(a, str) and a > b,
    "StringMatches": lambda a, b: isinstance(a, str) and fnmatch.fnmatchcase(a, b),
    "NumericEquals": lambda a, b: _number(a) and a == b,
    "NumericLessThan": lambda a, b: _number(a) and a < b,
    "NumericGreaterThan": lambda a, b: _number(a) and a > b,
    "NumericLessThanEquals": lambda a, b: _number(a) and a <= b,
    "NumericGreaterThanEquals": lambda a, b: _number(a) and a >= b,
    "BooleanEquals": lambda a, b: isinstance(a, bool) and a is b,
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def matches(rule: dict[str, Any], data: Any) -> bool:
    if "And" in rule:
        return all(matches(inner, data) for inner in rule["And"])
    if "Or" in rule:
        return any(matches(inner, data) for inner in rule["Or"])
    if "Not" in rule:
        return not matches(rule["Not"], data)
    value = _value(rule, data)
    if "IsPresent" in rule:
        return (value is not _MISSING) is rule["IsPresent"]
    if value is _MISSING:
        return False
    if "IsNull" in rule:
        return (value is None) is rule["IsNull"]
    for operator, compare in _COMPARISONS.items():
        for spelled in (operator, f"{operator}Path"):
            if spelled in rule:
                return bool(compare(value, _operand(rule, spelled, data)))
    raise ValueError(f"unsupported choice rule: {sorted(rule)}")
