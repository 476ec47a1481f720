"""The intrinsic functions the pipeline's definition uses, in a ``.$`` field of Parameters or
ResultSelector: ``States.Format``, ``States.JsonToString`` and ``States.StringToJson``, with
arguments that are string literals ('...', where \\' \\{ \\} \\\\ are escapes), numbers, true,
false, null, paths and nested intrinsic calls. Anything else is States.Runtime, as in Step
Functions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from processing.statemachine import paths

_NAME = re.compile(r"States\.[A-Za-z]+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_PATH = re.compile(r"\$\$?[^,)\s]*")
_LITERALS = {"true": True, "false": False, "null": None}
# Escaped braces in a string literal are text, never a States.Format placeholder: they are held as
# these private-use characters until the call is done.
_OPEN, _CLOSE = "\ue000", "\ue001"


def _restore(value: Any) -> Any:
    return value.replace(_OPEN, "{").replace(_CLOSE, "}") if isinstance(value, str) else value


def is_intrinsic(expression: str) -> bool:
    return expression.startswith("States.")


def evaluate(expression: str, data: Any, context: dict[str, Any] | None = None) -> Any:
    value, end = _call(expression.strip(), 0, data, context)
    if end != len(expression.strip()):
        raise paths.PathError(f"unexpected text after the intrinsic: {expression!r}")
    return value


def _call(text: str, at: int, data: Any, context: dict[str, Any] | None) -> tuple[Any, int]:
    match = _NAME.match(text, at)
    if match is None or not text.startswith("(", match.end()):
        raise paths.PathError(f"not an intrinsic call: {text[at:]!r}")
    function = _FUNCTIONS.get(match.group())
    if function is None:
        raise paths.PathError(f"unsupported intrinsic function {match.group()}")
    arguments: list[Any] = []
    at = _skip_spaces(text, match.end() + 1)
    while not text.startswith(")", at):
        value, at = _argument(text, at, data, context)
        arguments.append(value)
        at = _skip_spaces(text, at)
        if text.startswith(",", at):
            at = _skip_spaces(text, at + 1)
        elif not text.startswith(")", at):
            raise paths.PathError(f"expected , or ) in {text!r}")
    if function is not _format:
        arguments = [_restore(argument) for argument in arguments]
    return _restore(function(*arguments)), at + 1


def _argument(text: str, at: int, data: Any, context: dict[str, Any] | None) -> tuple[Any, int]:
    if text.startswith("'", at):
        return _string(text, at + 1)
    if text.startswith("States.", at):
        return _call(text, at, data, context)
    if text.startswith("$", at):
        match = _PATH.match(text, at)
        assert match is not None  # "$" always matches
        return paths.read(match.group(), data, context), match.end()
    for word, value in _LITERALS.items():
        if text.startswith(word, at):
            return value, at + len(word)
    number = _NUMBER.match(text, at)
    if number is not None:
        return json.loads(number.group()), number.end()
    raise paths.PathError(f"unsupported intrinsic argument at {text[at:]!r}")


def _string(text: str, at: int) -> tuple[str, int]:
    characters: list[str] = []
    while at < len(text):
        character = text[at]
        if character == "\\" and at + 1 < len(text):
            escaped = text[at + 1]
            characters.append({"{": _OPEN, "}": _CLOSE}.get(escaped, escaped))
            at += 2
        elif character == "'":
            return "".join(characters), at + 1
        else:
            characters.append(character)
            at += 1
    raise paths.PathError(f"unterminated string in {text!r}")


def _skip_spaces(text: str, at: int) -> int:
    while at < len(text) and text[at] == " ":
        at += 1
    return at


def _format(template: str, *values: Any) -> str:
    """Each unescaped {} takes the next value (strings as they are, the rest as JSON)."""
    if not isinstance(template, str):
        raise paths.PathError("States.Format's first argument must be a string")
    pieces = template.split("{}")
    if len(pieces) - 1 != len(values):
        raise paths.PathError(
            f"States.Format has {len(pieces) - 1} placeholders and {len(values)} values"
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(value if isinstance(value, str) else json.dumps(value))
        out.append(piece)
    return "".join(out)


def _json_to_string(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _string_to_json(value: Any) -> Any:
    if not isinstance(value, str):
        raise paths.PathError("States.StringToJson takes a string")
    try:
        return json.loads(value)
    except ValueError as error:
        raise paths.PathError(f"States.StringToJson: {error}") from None


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "States.Format": _format,
    "States.JsonToString": _json_to_string,
    "States.StringToJson": _string_to_json,
}
