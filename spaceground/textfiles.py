"""Text files read whole: UTF-8 only, of a size a person writes, every fault a clear error.

Scenario and sweep files, CSV series and user policy files are read through here, so that a
file in another encoding, a binary file or a huge one is refused naming the file, the first
bad byte's line and what to do, instead of ending in a traceback further on.
"""

from __future__ import annotations

import os

from .errors import InputError

MAX_FILE_BYTES = 10_000_000  # a scenario, sweep or series file larger than this is not one a person wrote


def read_text_file(path, what) -> str:
    """The text of a UTF-8 file (a byte-order mark is allowed) of at most :data:`MAX_FILE_BYTES`; a missing one is a
    FileNotFoundError naming ``what`` it should be; any other fault an :class:`InputError` saying what to do."""
    try:
        size = os.stat(path).st_size
        if os.path.isdir(path):
            raise InputError(f"{path}: is a folder; give the {what} file")
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{path}: {size / 1e6:.1f} MB; a {what} file is at most {MAX_FILE_BYTES / 1e6:g} MB "
                "(is it the file you meant?)"
            )
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} file not found: {path}") from None
    except PermissionError:
        raise InputError(f"{path}: cannot read the {what} file (permission denied)") from None
    return decode_utf8(data, path)


def read_csv_table(path, what, empty_hint, **read_csv):
    """A CSV file as a DataFrame (``pandas.read_csv`` options in ``read_csv``), read through
    :func:`read_text_file`: a missing file, an empty one (``empty_hint`` says what to write) or one that is not a
    CSV table is an :class:`InputError` naming the file."""
    import io

    import pandas as pd

    try:
        text = read_text_file(path, what)
    except FileNotFoundError:
        raise InputError(f"{what} file not found: {path}") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; {empty_hint}")
    try:
        return pd.read_csv(io.StringIO(text), **read_csv)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"{path}: not a CSV table ({str(exc).strip()})") from None


def decode_utf8(data: bytes, path) -> str:
    """Text of UTF-8 bytes; anything else is an InputError naming the first bad byte's line and what to do."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{path}: not UTF-8 text (it is UTF-16); save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {column}); save it as UTF-8"
        ) from None
    line = nul_line(text)
    if line is not None:
        raise InputError(f"{path}, line {line}: a NUL character; this is not a text file")
    return text


def nul_line(text):
    """The line of the first NUL character of ``text`` (no text file has one), or None."""
    at = text.find("\x00")
    return None if at < 0 else text.count("\n", 0, at) + 1
