"""Local files a user names (a feed's path, a saved page, a CSV to import): only regular files are
read. A named pipe, a device, a directory or a socket is refused at once with a message naming the
path — opening a FIFO for reading would otherwise wait forever for a writer. The file is opened
without blocking and checked on the open descriptor, so what is checked is what is read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISDIR, "a directory"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class NotRegularFile(OSError):
    """The path names something other than a regular file; the message names it and what it is."""


def _refusal(path: str | Path, mode: int) -> NotRegularFile:
    kind = next((words for test, words in _KINDS if test(mode)), "not a regular file")
    return NotRegularFile(f"{path} is {kind}, not a regular file: only regular files are read")


def _open(path: str | Path) -> tuple[int, os.stat_result]:
    """A descriptor of the regular file at `path` and its stat; NotRegularFile, or the OSError of
    opening it (FileNotFoundError…)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refusal(path, info.st_mode)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def check_regular_file(path: str | Path) -> None:
    """Raise NotRegularFile when `path` is not a regular file (OSError when it cannot be opened)."""
    fd, _ = _open(path)
    os.close(fd)


def read_regular_file(path: str | Path, max_bytes: int | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file at `path` (at most `max_bytes` + 1 of them, so that a caller
    can tell a file over its cap) and its stat. NotRegularFile for anything else; the OSError of
    opening or reading it otherwise."""
    fd, info = _open(path)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    return data, info
