import pytest
from django.core.exceptions import ImproperlyConfigured

from photoshare.env import Env


def test_unset_and_blank_variables_fall_back_to_the_default() -> None:
    env = Env({"BLANK": "  "})
    assert env.str("MISSING", "x") == "x"
    assert env.str("BLANK", "y") == "y"
    assert env.int("BLANK", 3) == 3
    assert env.bool("MISSING", True) is True


def test_a_required_string_without_default_fails_naming_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET must be set"):
        Env({}).str("SECRET")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False), ("Off", False)],
)
def test_booleans_accept_the_usual_spellings(raw: str, expected: bool) -> None:
    assert Env({"FLAG": raw}).bool("FLAG", not expected) is expected


def test_a_misspelt_boolean_fails_loudly() -> None:
    with pytest.raises(ImproperlyConfigured, match="FLAG must be true or false, not 'ture'"):
        Env({"FLAG": "ture"}).bool("FLAG", False)


def test_integers_allow_underscores_and_enforce_a_minimum() -> None:
    env = Env({"SIZE": "25_000_000", "NEG": "-1", "WORD": "big"})
    assert env.int("SIZE", 0) == 25_000_000
    with pytest.raises(ImproperlyConfigured, match="NEG must be at least 1"):
        env.int("NEG", 5, minimum=1)
    with pytest.raises(ImproperlyConfigured, match="WORD must be a whole number"):
        env.int("WORD", 5)


def test_lists_are_comma_separated_and_trimmed() -> None:
    assert Env({"HOSTS": " a.example , b.example,, "}).list("HOSTS", []) == [
        "a.example",
        "b.example",
    ]


def test_choices_are_case_insensitive_and_reject_unknown_values() -> None:
    env = Env({"BACKEND": "AWS", "OTHER": "gcp"})
    assert env.choice("BACKEND", ("local", "aws"), "local") == "aws"
    with pytest.raises(ImproperlyConfigured, match="OTHER must be one of local, aws, not 'gcp'"):
        env.choice("OTHER", ("local", "aws"), "local")
