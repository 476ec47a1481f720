"""EXIF values shared by several tests."""

LISBON_GPS: dict[int, object] = {
    1: "N",
    2: (38.0, 42.0, 50.04),
    3: "W",
    4: (9.0, 8.0, 21.84),
    5: 0,
    6: 12.5,
}
