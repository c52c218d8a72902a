"""Claiming an output folder: refuse a path whose replacement would destroy the user's other files, and hold an
exclusive lock on it for the whole run, so that two commands never write (or replace) the same folder at once.

The lock is a file beside the folder, `.NAME.lock`, created atomically (O_EXCL) and holding the owner's pid, host
and start time; a lock left by a process that no longer runs is reported with the command that clears it.
"""

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import UserError


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _local(inputs: Iterable[str | Path | None]) -> Iterator[tuple[str | Path, Path]]:
    """The inputs that are local files or folders, as given and resolved (Hub repo ids and Nones are skipped)."""
    for given in inputs:
        if given is not None and str(given).strip() and Path(given).expanduser().exists():
            yield given, Path(given).expanduser().resolve()


def check_output_path(output: str | Path, inputs: Iterable[str | Path | None] = (), flag: str = "--output") -> Path:
    """Refuse an output folder that is empty, a file, the current directory or one of its parents, the home folder
    or one of its parents, or a folder that is or contains one of `inputs` (model, tokenizer, corpus files)."""
    if not str(output).strip():
        raise UserError(f"{flag} is empty; give a new folder for the result, e.g. {flag} runs/my-model.")
    path = Path(output).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise UserError(f"{flag} {output} is a file, not a folder; give a folder path for the result (minformer "
                        "never replaces a file with a folder).")
    for place, name in ((Path.cwd().resolve(), "the current directory"), (Path.home().resolve(), "your home folder")):
        if _inside(place, path):
            what = name if path == place else f"a parent of {name}"
            raise UserError(f"{flag} {output} is {what}; replacing it would delete everything in it. Give a new "
                            f"subfolder, e.g. {flag} runs/my-model.")
    for given, source in _local(inputs):
        if _inside(source, path):
            what = "is" if source == path else "contains"
            raise UserError(f"{flag} {output} {what} the input {given}; the result would replace it. Write the "
                            "result to a different folder.")
    return path


def check_output_file(path: str | Path, inputs: Iterable[str | Path | None], flag: str, suffix: str) -> Path:
    """Refuse a result file that is empty, a folder, one of the command's inputs or inside one, or an existing file
    of another kind than `suffix` (so a slip like `--output corpus.txt` cannot overwrite the user's text)."""
    if not str(path).strip():
        raise UserError(f"{flag} is empty; give a file name, e.g. {flag} result{suffix}.")
    target = Path(path).expanduser().resolve()
    if target.is_dir():
        raise UserError(f"{flag} {path} is a folder; give a file name, e.g. {flag} {Path(path) / ('result' + suffix)}.")
    if target.exists() and target.suffix.lower() != suffix:
        raise UserError(f"{flag} {path} exists and is not a {suffix} file; minformer only replaces its own {suffix} "
                        "results. Give another file name.")
    for given, source in _local(inputs):
        if _inside(target, source):
            raise UserError(f"{flag} {path} would write into the input {given}; write the result elsewhere.")
    return target


def _lock_path(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}.lock")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _refuse(folder: Path, lock: Path) -> None:
    try:
        owner = json.loads(lock.read_text())
        pid, host, started = int(owner["pid"]), str(owner["host"]), str(owner["started"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(f"{folder} is locked by {lock}, which is unreadable; if no minformer command is writing "
                        f"{folder}, delete it (rm {lock}) and run again.") from None
    if host == socket.gethostname() and not _running(pid):
        raise UserError(f"{folder} has a stale lock: {lock} was left by pid {pid} (started {started}), which is no "
                        f"longer running; delete it (rm {lock}) and run again.")
    raise UserError(f"{folder} is in use by another minformer command (pid {pid} on {host}, started {started}); "
                    f"wait for it to finish or choose another output folder (if it is not running, rm {lock}).")


def _create(lock: Path, owner: str) -> bool:
    """Create `lock` holding `owner` unless it exists (False then)."""
    draft = lock.with_name(f"{lock.name}.{os.getpid()}")
    draft.write_text(owner)
    try:
        os.link(draft, lock)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: create exclusively, then write
        try:
            descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "w") as handle:
            handle.write(owner)
        return True
    finally:
        draft.unlink(missing_ok=True)


@contextlib.contextmanager
def output_lock(folder: str | Path) -> Iterator[Path]:
    """Hold the exclusive lock on `folder` (which need not exist yet) until the block ends, however it ends."""
    folder = Path(folder).expanduser().resolve()
    lock = _lock_path(folder)
    created = [parent for parent in lock.parents if not parent.exists()]  # removed again if left empty
    lock.parent.mkdir(parents=True, exist_ok=True)
    # the lock appears with its owner already written (a hard link of a finished file is atomic and exclusive), so
    # a second command never reads a half-written lock
    owner = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                        "started": time.strftime("%Y-%m-%d %H:%M:%S")})
    if not _create(lock, owner):
        _remove_empty(created)
        _refuse(folder, lock)
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)
        _remove_empty(created)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders the lock created (deepest first) if nothing was put in them: a refused command leaves no
    trace."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


@contextlib.contextmanager
def claimed_output(output: str | Path, inputs: Iterable[str | Path | None] = (), overwrite: bool = False,
                   flag: str = "--output") -> Iterator[Path]:
    """Check `output`, lock it, and yield a staging folder that replaces it only when the block succeeds (see
    `atomic_directory`); the user's old output stays as it was if anything fails or Ctrl-C is pressed."""
    from .atomic import atomic_directory, check_output_folder

    path = check_output_path(output, inputs, flag)
    check_output_folder(path, overwrite)
    with output_lock(path), atomic_directory(path, overwrite=overwrite) as staging:
        yield staging
