"""Outputs that are whole or absent: every file and folder spaceground writes goes through here.

A file is written under a temporary name in its own folder, flushed to disk and renamed over
the final name (``os.replace`` is atomic on POSIX file systems), so a full disk, a crash or a
Ctrl-C leaves the old file or no file, never a half-written one. A run folder is built the
same way: in a hidden ``.NAME.partial-PID`` folder beside it, renamed into place when every
file is in it. Replacing an existing folder moves the old one aside first and deletes it
only after the new one is in place.
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager

from .errors import InputError

RUN_MARKER = "run.json"  # a folder holding this file is a run folder (written last)


@contextmanager
def atomic_file(path, mode="w", **kwargs):
    """Open a temporary file beside ``path`` for writing; on a clean exit it is flushed to disk and replaces
    ``path``."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def atomic_path(path):
    """A temporary path beside ``path`` for a writer that takes a path (Parquet, figures); on a clean exit
    the file written there replaces ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    base, ext = os.path.splitext(os.path.basename(path))
    tmp = os.path.join(folder, f".{base}.tmp-{os.getpid()}{ext}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def write_text(path, text):
    with atomic_file(path, "w", encoding="utf-8") as f:
        f.write(text)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def is_run_folder(folder) -> bool:
    return os.path.isfile(os.path.join(folder, RUN_MARKER))


def check_output_folder(folder, overwrite=False, what="run folder", marker=RUN_MARKER):
    """Refuse, before any work, an output folder that cannot be written or would mix with something else.

    An absent or empty folder is fine. A folder holding an earlier output of the same kind (its
    ``marker`` file) is replaced whole with ``overwrite`` and refused without it; a folder holding
    anything else is refused either way. A path that is a file, lies below a file, or whose
    parent cannot be written to is refused with what to do."""
    folder = os.fspath(folder)
    absolute = os.path.abspath(folder)
    if os.path.exists(absolute) and not os.path.isdir(absolute):
        raise InputError(f"-o {folder}: is a file, not a folder; give a folder for the {what}")
    parent = os.path.dirname(absolute)
    probe = parent
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise InputError(f"-o {folder}: {probe} is a file, so no folder can be made below it")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"-o {folder}: cannot write in {probe} (permission denied); choose another folder")
    if os.path.isdir(absolute) and os.listdir(absolute):
        if not os.path.isfile(os.path.join(absolute, marker)):
            raise InputError(
                f"-o {folder}: the folder holds files that are not a {what} of spaceground; "
                "choose an empty or new folder"
            )
        if not overwrite:
            raise InputError(
                f"-o {folder}: holds an earlier {what}; give --overwrite to replace it whole, or choose another folder"
            )
        if not os.access(absolute, os.W_OK | os.X_OK):
            raise InputError(f"-o {folder}: cannot replace it (permission denied)")


@contextmanager
def atomic_folder(folder):
    """Build a folder under a temporary name beside ``folder``; on a clean exit it replaces ``folder``
    (an earlier one is moved aside and deleted once the new one is in place)."""
    folder = os.path.abspath(os.fspath(folder))
    parent = os.path.dirname(folder)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(folder)}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        yield tmp
        old = None
        if os.path.isdir(folder):
            old = os.path.join(parent, f".{os.path.basename(folder)}.old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(folder, old)
        os.rename(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_name(text, fallback="run") -> str:
    """A file name made of ``text``: letters, digits and ``._+-`` only, no leading dot, at most 100 characters
    (a scenario's ``name`` may hold a path separator, ``..`` or an absolute path; none survive)."""
    name = _UNSAFE.sub("_", str(text)).strip("._") or fallback
    return name[:100]
