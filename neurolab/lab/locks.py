"""Inter-process locks for the pipeline, built on the ``filelock`` library.

A lock is an OS file lock (``flock`` on POSIX, ``LockFileEx`` on Windows) taken by
``filelock.FileLock`` on ``NAME.lock``: the operating system releases it when the holding
process ends, however it ends (``kill -9`` included), so a crashed run never blocks the
next one. Beside it, ``NAME.json`` records who holds it (pid, host, start time, command
line); that file is only informational, for the message a refused run prints, and a stale
one left by a killed process is simply overwritten by the next holder.

The descriptor ``filelock`` opens is not inheritable (Python's default), so subprocesses
such as a notebook's kernel never keep a lock alive after their parent died.

Room: ``neurolab.lab``. May import: filelock and the standard library.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import socket
import sys
import time
from pathlib import Path

from filelock import FileLock, Timeout


class LockBusy(RuntimeError):
    """Another process holds the lock. ``holder`` is its recorded pid/host/start time (a
    dict, or None when it did not say), ``lock`` the lock file, ``waited`` seconds."""

    def __init__(self, message, *, lock, holder, waited):
        super().__init__(message)
        self.lock, self.holder, self.waited = lock, holder, waited


def _info_path(lock: Path) -> Path:
    return lock.with_suffix(".json")


def read_holder(lock) -> dict | None:
    """The holder record written beside ``lock`` (None when absent or unreadable)."""
    try:
        with open(_info_path(Path(lock)), encoding="utf-8") as fh:
            info = json.load(fh)
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _alive(pid) -> bool | None:
    """Whether process ``pid`` exists on this host (None when it cannot be told)."""
    if not isinstance(pid, int) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return None
    return True


def describe_holder(holder: dict | None) -> str:
    """``process 1234 on host h, since 2026-11-30 15:02:11 (12 s ago), running: ...``."""
    if not holder:
        return "another process (it has not recorded who it is yet)"
    pid, host = holder.get("pid"), holder.get("host")
    text = f"process {pid} on host {host}"
    started = holder.get("started")
    if isinstance(started, (int, float)):
        stamp = _dt.datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M:%S")
        text += f", since {stamp} ({max(0.0, time.time() - started):.0f} s ago)"
    if holder.get("command"):
        text += f", running: {holder['command']}"
    if host == socket.gethostname() and _alive(pid) is False:
        text += " (that process has ended: the lock is held by one that has not recorded "\
                "itself yet)"
    return text


@contextlib.contextmanager
def hold(lock, *, timeout: float | None = 0, what: str, note: dict | None = None,
         remove: bool = False):
    """Hold the lock file ``lock`` for the ``with`` block.

    ``timeout``: seconds to wait for it; 0 refuses at once when another process holds it,
    None waits as long as it takes. ``what`` names what the lock protects, for messages.
    ``remove``: delete the lock file when done (while still holding it, then release), for
    locks of which there are many (a sweep's points) and that would otherwise stay one
    file each. A process waiting on the deleted file then finds it gone once it gets the
    lock, and ``filelock`` tries again on a new file (it checks the link count of the file
    it locked), so two holders never overlap.
    Raises :class:`LockBusy` (naming the holder: pid, host, since when) when the lock is
    not free in time, and ``OSError`` when the lock file cannot be created.
    """
    lock = Path(lock)
    lock.parent.mkdir(parents=True, exist_ok=True)
    flock = FileLock(str(lock))
    start = time.monotonic()
    try:
        flock.acquire(timeout=-1 if timeout is None else max(0.0, float(timeout)),
                      poll_interval=0.05)
    except Timeout:
        holder = read_holder(lock)
        waited = time.monotonic() - start
        after = f" after waiting {waited:.1f} s" if timeout else ""
        raise LockBusy(f"{what} is in use by {describe_holder(holder)}; refused{after} "
                       f"(lock file {lock})", lock=lock, holder=holder, waited=waited) from None
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "",
            **(note or {})}
    try:
        try:
            tmp = _info_path(lock).with_name(f".{lock.stem}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(info), encoding="utf-8")
            os.replace(tmp, _info_path(lock))
        except OSError:
            pass                                  # informational only
        yield info
    finally:
        if (read_holder(lock) or {}).get("pid") == os.getpid():
            with contextlib.suppress(OSError):
                _info_path(lock).unlink()
        if remove:
            with contextlib.suppress(OSError):
                lock.unlink()
        flock.release()
