"""The helpers every boundary uses to fit text and numbers to their columns."""

from albums.columns import bounded_text, column_int, column_text, storable_json, storable_text
from albums.models import Photo, PhotoLabel, term_key


def test_nuls_go_and_lone_surrogates_become_replacement_characters() -> None:
    assert storable_text("a\x00b\ud800c") == "ab\ufffdc"
    assert storable_text(None) == ""
    assert storable_text("Café 😀") == "Café 😀"


def test_text_is_cut_to_the_fields_max_length_after_cleaning() -> None:
    assert bounded_text("\x00" + "x" * 10, 4) == "xxxx"
    assert column_text(Photo, "camera_make", "M" * 5_000) == "M" * 100
    assert column_text(Photo, "sha256", None) == ""


def test_integers_beyond_the_column_are_dropped() -> None:
    assert column_int(Photo, "iso", 4_000_000_000) is None
    assert column_int(Photo, "iso", -1) is None
    assert column_int(Photo, "iso", 2_147_483_647) == 2_147_483_647
    assert column_int(Photo, "file_size", 4_000_000_000) == 4_000_000_000


def test_json_strings_and_keys_lose_their_nuls() -> None:
    value = {"Na\x00me": ["D\x00og", {"x": 1.5}], "n": None}
    assert storable_json(value) == {"Name": ["Dog", {"x": 1.5}], "n": None}


def test_a_term_key_fits_its_column_even_when_casefolding_lengthens_it() -> None:
    max_length = PhotoLabel._meta.get_field("term_key").max_length
    assert term_key("ß" * max_length) == "s" * max_length
    assert term_key("  German \x00 Shepherd ") == "german shepherd"
