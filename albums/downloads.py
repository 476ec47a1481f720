"""The Content-Disposition an original is downloaded with: its own file name, made safe.

The name is what the person's browser said when uploading (Photo.original_filename), so it is
untrusted: it may hold quotes, CR/LF, path separators or any Unicode. The header carries an
ASCII fallback in ``filename`` and the exact name in ``filename*`` (RFC 6266 / RFC 8187).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_FALLBACK_NAME = "photo"
# Control characters (CR, LF, NUL, DEL...) never reach a header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Quotes and backslashes would end or escape the quoted string; % is decoded by some browsers.
_UNQUOTABLE = re.compile(r'["\\%]')


def download_filename(original_filename: str) -> str:
    """The last path segment of the name, without control characters; "photo" if nothing is
    left."""
    name = _CONTROL.sub("", original_filename).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name.strip("."):  # "", "." and ".." name no file
        return _FALLBACK_NAME
    return name


def attachment_disposition(original_filename: str) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` for the original's name."""
    name = download_filename(original_filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = _UNQUOTABLE.sub("_", ascii_name).strip() or _FALLBACK_NAME
    if ascii_name.startswith("."):  # a name that was all non-ASCII before its extension
        ascii_name = _FALLBACK_NAME + ascii_name
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
