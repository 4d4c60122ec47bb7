"""The output-folder contract: ``<out>/<run_name>/`` is only ever a complete, finished run.

A run is written into a hidden ``<out>/.<run_name>.partial-<pid>-<n>/`` folder while it works and
renamed into place when it is done. The run it replaces (only ever a folder holding a
``manifest.json``) is kept as ``<out>/<run_name>.previous/`` until the next finished run.
A lock file ``<out>/.<run_name>.lock`` (held by the operating system, so a killed run never
leaves it held) stops two runs of one name at once; partial folders left by killed runs are
removed at the start of the next run in the same ``--out``.
"""
from __future__ import annotations

import itertools
import os
import shutil
import sys
from pathlib import Path

from filelock import FileLock, Timeout

from crmlib.io import InputError
from crmlib.params import check_run_name

MANIFEST = "manifest.json"
PREVIOUS_SUFFIX = ".previous"
PARTIAL_MARK = ".partial-"
_serial = itertools.count(1)


def is_finished_run(folder: Path) -> bool:
    """A real folder (not a link) holding a run's ``manifest.json``."""
    return folder.is_dir() and not folder.is_symlink() and (folder / MANIFEST).is_file()


class RunFolder:
    """Context manager that owns ``<out>/<name>`` for one run.

    >>> with RunFolder(Path("outputs"), "sample") as run:
    ...     (run.work_dir / "index.html").write_text("…")
    ...     run.commit()        # outputs/sample/ now holds the new run, the old one is sample.previous/
    """

    def __init__(self, out_root: Path, name: str):
        self.out_root = Path(out_root)
        self.name = check_run_name(name)
        self.final_dir = self.out_root / self.name
        self.previous_dir = self.out_root / f"{self.name}{PREVIOUS_SUFFIX}"
        self.work_dir = self.out_root / f".{self.name}{PARTIAL_MARK}{os.getpid()}-{next(_serial)}"
        self.removed_partials: list[Path] = []
        self._lock: FileLock | None = None

    def __enter__(self) -> "RunFolder":
        self._check_out_root()
        self._check_replaceable()
        self._lock = _try_lock(self.out_root, self.name)
        try:
            self.removed_partials = remove_stale_partials(self.out_root, held=self.name)
            self.work_dir.mkdir()
        except OSError as err:
            self._release()
            raise InputError(f"cannot write in the output folder {self.out_root} ({err.strerror}): "
                             "choose another --out.") from None
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)
        self._release()

    def commit(self) -> Path:
        """Move the finished run into place; the run it replaces becomes ``<name>.previous``."""
        self._check_replaceable()
        if self.final_dir.exists():
            if self.previous_dir.exists():
                shutil.rmtree(self.previous_dir)
            self.final_dir.rename(self.previous_dir)
        self.work_dir.rename(self.final_dir)
        return self.final_dir

    def _check_out_root(self) -> None:
        root = self.out_root
        if root.exists() and not root.is_dir():
            raise InputError(f"--out {root} is a file, not a folder: give a folder for the runs.")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"cannot create the output folder {root} ({err.strerror}): "
                             "choose another --out.") from None

    def _check_replaceable(self) -> None:
        for folder in (self.final_dir, self.previous_dir):
            if (folder.exists() or folder.is_symlink()) and not is_finished_run(folder):
                raise InputError(
                    f"{folder} exists and is not a finished run (no {MANIFEST}): a run only replaces "
                    "its own earlier run. Choose another run_name or move that folder away.")

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _lock_path(out_root: Path, name: str) -> Path:
    return out_root / f".{name}.lock"


def _try_lock(out_root: Path, name: str) -> FileLock:
    lock = FileLock(_lock_path(out_root, name), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(f"a run named {name!r} is already running in {out_root} (lock file "
                         f".{name}.lock): wait for it to finish, or use another run_name.") from None
    except OSError as err:
        raise InputError(f"cannot write in the output folder {out_root} ({err.strerror}): "
                         "choose another --out.") from None
    return lock


def remove_stale_partials(out_root: Path, held: str | None = None) -> list[Path]:
    """Remove ``.<name>.partial-*`` folders whose run is no longer running (its lock is free).

    ``held`` is the run name whose lock this process holds: its partial folders are all stale.
    """
    removed = []
    for folder in sorted(out_root.glob(f".*{PARTIAL_MARK}*")):
        name = folder.name[1:].split(PARTIAL_MARK)[0]
        if not folder.is_dir() or folder.is_symlink():
            continue
        if name != held:
            lock = FileLock(_lock_path(out_root, name), timeout=0)
            try:
                lock.acquire()
            except (Timeout, OSError):
                continue  # that run is still going: leave it alone
            lock.release()
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def say_removed(partials: list[Path]) -> None:
    """Tell the user which unfinished folders of interrupted runs were cleaned up."""
    for folder in partials:
        print(f"removed {folder.name}, left by an interrupted run", file=sys.stderr, flush=True)
