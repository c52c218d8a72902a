"""Where a training run is built and how it replaces the user's old output: never before it is complete.

A run trains into `OUTPUT.partial` (checkpoints included) under an exclusive lock on OUTPUT, and the finished folder
replaces OUTPUT only at the end. Ctrl-C, an error or a kill leaves OUTPUT as it was; `.partial` keeps its checkpoints
for `--resume` (and is removed when it has none). Under torchrun / accelerate only the first process locks and
replaces; every process computes the same staging folder and checkpoint.
"""

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from transformers.trainer_utils import get_last_checkpoint

from ..errors import Interrupted, UserError
from ..loading import check_checkpoint
from ..outputs import check_output_path, output_lock
from .options import RunOptions

PARTIAL = ".partial"  # suffix of the folder a run is built in
MARKER = ".minformer-run"  # marks a .partial folder as minformer's own (only those are ever removed)


@dataclass
class RunFolder:
    output: Path  # where the finished run goes
    staging: Path  # where it is built (OUTPUT.partial): the Trainer's output_dir
    checkpoint: str | None  # the checkpoint to resume from
    discard_staging: bool  # an interrupted run the user chose to start again (--overwrite)

    @property
    def start_step(self) -> int:
        return int(Path(self.checkpoint).name.rsplit("-", 1)[-1]) if self.checkpoint else 0

    def prepare(self) -> None:
        """Create the staging folder (after every option and input was checked, before the first write)."""
        if int(os.environ.get("RANK", "0")) != 0:
            return
        if self.discard_staging and self.staging.is_dir():
            print(f"--overwrite: discarding the interrupted run in {self.staging}")
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True, exist_ok=True)
        (self.staging / MARKER).touch()


def _checkpoint(folder: Path) -> str | None:
    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def _finished_step(output: Path) -> int | None:
    """The step a finished run stopped at (its trainer_state.json, written by the final save), if any."""
    try:
        return int(json.loads((output / "trainer_state.json").read_text())["global_step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _plan(run: RunOptions, output: Path) -> RunFolder:
    """Decide, without writing anything, where the run is built and what it resumes; refuse every conflict."""
    staging = output.with_name(output.name + PARTIAL)
    if run.resume and run.overwrite:
        raise UserError("pass either --resume (continue the run in the output folder) or --overwrite (start again "
                        "and replace it), not both.")
    interrupted = _checkpoint(staging)
    if staging.exists() and not (staging / MARKER).exists():
        raise UserError(f"{staging} exists and was not made by minformer (a run is built there before it replaces "
                        f"{output}); move it away or choose another --output.")
    if run.resume:
        if interrupted:
            return RunFolder(output, staging, interrupted, discard_staging=False)
        checkpoint = _checkpoint(output)
        if checkpoint is None:
            raise UserError(f"--resume: neither {output} nor {staging} holds a checkpoint-N folder to resume from; "
                            "run without --resume to start a new run.")
        finished = _finished_step(output)
        if finished is not None and finished >= run.max_steps:
            raise UserError(f"--resume: {output} is a finished run (step {finished}, --max-steps {run.max_steps}); "
                            "pass a larger --max-steps to train it further, or --overwrite instead of --resume to "
                            "start again.")
        return RunFolder(output, staging, checkpoint, discard_staging=True)
    if interrupted and not run.overwrite:
        raise UserError(f"{staging} holds an interrupted run (last checkpoint: {Path(interrupted).name}); pass "
                        "--resume to continue it, or --overwrite to start again.")
    if output.is_dir() and any(output.iterdir()) and not run.overwrite:
        raise UserError(f"{output} already holds a run; pass --resume to continue it or --overwrite to replace it "
                        "(the old run is replaced only when the new one is complete).")
    return RunFolder(output, staging, None, discard_staging=True)


def _replace(folder: RunFolder) -> None:
    """Move the complete staging folder into place; the old output is deleted only after that succeeded."""
    (folder.staging / MARKER).unlink(missing_ok=True)
    retired = None
    if folder.output.exists():
        retired = folder.output.with_name(f".{folder.output.name}.old-{os.getpid()}")
        folder.output.rename(retired)
    folder.staging.rename(folder.output)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _after_failure(folder: RunFolder) -> str:
    """Keep the staging folder if it holds a checkpoint (for --resume), remove it otherwise; say which."""
    unchanged = f"; {folder.output} is unchanged" if folder.output.exists() else ""
    checkpoint = _checkpoint(folder.staging)
    if checkpoint:
        return (f"the last checkpoint ({Path(checkpoint).name}) is kept in {folder.staging}; run the same command "
                f"with --resume to continue from it{unchanged}")
    if (folder.staging / MARKER).exists():
        shutil.rmtree(folder.staging, ignore_errors=True)
    return f"no checkpoint had been written, so nothing was kept{unchanged}"


@contextlib.contextmanager
def claimed_run(run: RunOptions, inputs: Iterable[str | Path | None] = ()) -> Iterator[RunFolder]:
    """Check and lock the run's output folder, yield where to build the run, and put it in place when the block
    succeeds. Ctrl-C becomes an `Interrupted` that says what was kept and how to resume."""
    output = check_output_path(run.output_dir, inputs)
    if int(os.environ.get("RANK", "0")) != 0:  # the first process locks, checks and replaces
        yield _plan(run, output)
        return
    with output_lock(output):
        folder = _plan(run, output)
        if folder.checkpoint:
            check_checkpoint(folder.checkpoint, run.optimizer)
        try:
            yield folder
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted: {_after_failure(folder)}.") from None
        except BaseException:
            _after_failure(folder)
            raise
        _replace(folder)
