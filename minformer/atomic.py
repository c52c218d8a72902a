"""Write a folder all at once: build it beside the destination, then move it into place, so that a crash or an
error never leaves a half-written folder where a good one was (tokenizers, checkpoints, exported models)."""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def check_output_folder(destination: str | Path, overwrite: bool = False) -> None:
    """Refuse a destination that is a file, or a non-empty folder unless `overwrite` (checked before long work)."""
    destination = Path(destination)
    if destination.exists() and not destination.is_dir():
        raise FileExistsError(f"{destination} exists and is a file; choose a folder path for the output.")
    if destination.is_dir() and any(destination.iterdir()) and not overwrite:
        raise FileExistsError(f"{destination} already exists and is not empty; pass --overwrite (overwrite=True) "
                              "to replace it, or choose another output folder.")


@contextlib.contextmanager
def atomic_directory(destination: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder next to `destination`; when the block succeeds, it becomes `destination`.

    An existing non-empty `destination` is refused unless `overwrite=True`, and then replaced only after the new
    folder is complete. On error the temporary folder is removed and `destination` is left as it was.
    """
    from .outputs import check_output_path

    destination = Path(destination)
    if overwrite:  # never replace the current directory, the home folder or a parent of either
        check_output_path(destination)
    check_output_folder(destination, overwrite)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.tmp-", dir=destination.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = None
    if destination.exists():
        retired = destination.with_name(f".{destination.name}.old-{staging.name.rsplit('-', 1)[-1]}")
        destination.rename(retired)
    staging.rename(destination)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def delete_directory(folder: str | Path, parking: str | Path) -> None:
    """Delete `folder` so that it is never seen half-deleted: renamed to `parking` (on the same file system) first,
    then removed there, so a kill leaves it whole or gone."""
    Path(folder).rename(parking)
    shutil.rmtree(parking, ignore_errors=True)


def write_file(destination: str | Path, text: str) -> Path:
    """Write a text file all at once (a temporary file beside it, then renamed), so a crash never leaves half."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{destination.name}.tmp-", dir=destination.parent)
    try:
        with open(descriptor, "w") as handle:
            handle.write(text)
        Path(temporary).replace(destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination
