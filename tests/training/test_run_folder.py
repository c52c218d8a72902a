"""How a run replaces the user's output: built in OUTPUT.partial, moved into place only when complete, under a lock
that a second run into the same folder is refused by; Ctrl-C keeps the last checkpoint and --resume finishes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minformer.errors import UserError
from minformer.outputs import output_lock
from minformer.tokenization.training import MAX_WORD_CHARS, split_long_runs
from tests.cli.test_user_mistakes import tree
from tests.training.conftest import TINY_MODEL, TINY_RUN
from tests.warm_cli import quiet_env, run_minformer


def command(output: Path, steps: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "minformer.cli.main", "pretrain", "--builtin", *TINY_MODEL, *TINY_RUN,
            "--max-steps", str(steps), "--output", str(output), *extra]


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    # SIGINT back to its default in the child (a shell running the tests in the background ignores it), so Python
    # turns it into KeyboardInterrupt as it does in a terminal
    return subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=quiet_env(), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def final_step(run: Path) -> int:
    return json.loads((run / "trainer_state.json").read_text())["global_step"]


def test_ctrl_c_keeps_the_old_run_and_the_last_checkpoint_and_resume_finishes(tiny_decoder, tmp_path):
    import shutil

    run = Path(shutil.copytree(tiny_decoder, tmp_path / "run"))
    before = tree(run)
    process = start(command(run, 120, "--overwrite"), tmp_path)
    partial = tmp_path / "run.partial"
    deadline = time.time() + 240
    while not any(partial.glob("checkpoint-*")) and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stderr = process.communicate(timeout=120)[1]
    assert process.returncode == 130, stderr[-2000:]
    message = [line for line in stderr.splitlines() if line.startswith("minformer pretrain:")]
    assert len(message) == 1 and "interrupted" in message[0] and "--resume" in message[0], stderr[-2000:]
    assert f"kept in {partial}" in message[0] and f"{run} is unchanged" in message[0]
    assert tree(run) == before  # --overwrite replaces the old run only when the new one is complete
    assert any(partial.glob("checkpoint-*")) and not (tmp_path / ".run.lock").exists()

    resumed = run_minformer(command(run, 120, "--resume")[3:], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert final_step(run) == 120 and not partial.exists()
    assert (run / "model.safetensors").is_file() and json.loads((run / "summary.json").read_text())["steps"] == 120


def test_two_runs_into_one_folder_one_is_refused_the_other_is_intact(tmp_path):
    output = tmp_path / "shared"
    first, second = (start(command(output, 20), tmp_path) for _ in range(2))
    results = [(p.wait(timeout=600), p.stderr.read()) for p in (first, second)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], [err[-1500:] for _, err in results]
    refused = next(err for code, err in results if code == 2)
    lines = [line for line in refused.splitlines() if line.strip()]
    assert len(lines) == 1 and "is in use by another minformer command" in lines[0], refused[-1500:]
    assert final_step(output) == 20 and json.loads((output / "summary.json").read_text())["steps"] == 20
    assert not (tmp_path / "shared.partial").exists() and not (tmp_path / ".shared.lock").exists()


def test_a_live_lock_refuses_and_is_released_however_the_block_ends(tmp_path):
    folder = tmp_path / "out"
    with output_lock(folder) as lock:
        owner = json.loads(lock.read_text())
        assert owner["pid"] == os.getpid() and lock.name == ".out.lock"
        with pytest.raises(UserError, match=f"in use by another minformer command \\(pid {os.getpid()}"):
            with output_lock(folder):
                pass
    assert not lock.exists()
    with pytest.raises(KeyboardInterrupt), output_lock(folder):
        raise KeyboardInterrupt
    assert not lock.exists() and not folder.exists()  # the lock never creates the folder itself


def test_over_long_runs_are_cut_for_the_tokenizer_trainer_and_nothing_is_lost():
    text = "short words " + "x" * (3 * MAX_WORD_CHARS + 7) + " tail " + "y" * MAX_WORD_CHARS
    pieces = list(split_long_runs(text))
    assert "".join(pieces) == text
    assert max(len(run) for piece in pieces for run in piece.split()) <= MAX_WORD_CHARS
    assert list(split_long_runs("an ordinary line")) == ["an ordinary line"]


def test_rotating_checkpoints_never_leaves_a_half_deleted_one(tmp_path, monkeypatch):
    """save_total_limit deletes old checkpoints; a kill in the middle of that deletion must not leave a checkpoint-N
    without its files: each one is first renamed into the staging folder, then deleted there."""
    import shutil

    import torch
    from transformers import TrainingArguments

    import minformer
    from minformer.training import trainer as trainer_module
    from tests.conftest import decoder_config

    run_dir = tmp_path / "run"
    seen = []
    real_rmtree = shutil.rmtree

    def spying_rmtree(path, *args, **kwargs):  # what a kill at this moment would leave
        seen.append((str(path), {p.name: (p / "trainer_state.json").is_file() for p in run_dir.glob("checkpoint-*")}))
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(trainer_module.shutil, "rmtree", spying_rmtree)
    ids = torch.randint(3, 97, (8, 12))
    data = [{"input_ids": row, "labels": row} for row in ids]
    args = TrainingArguments(output_dir=str(run_dir), max_steps=4, save_steps=1, save_total_limit=1,
                             per_device_train_batch_size=2, use_cpu=True, report_to=[], logging_steps=1)
    trainer_module.MinformerTrainer(model=minformer.MinformerDecoderForCausalLM(decoder_config()), args=args,
                                    train_dataset=data).train()
    retired = [(path, checkpoints) for path, checkpoints in seen if trainer_module.RETIRED in path]
    assert len(retired) == 3  # checkpoints 1, 2 and 3 were rotated out
    for path, checkpoints in retired:
        assert trainer_module.STAGING in path and all(checkpoints.values()), (path, checkpoints)
    assert sorted(p.name for p in run_dir.iterdir()) == ["checkpoint-4"]


def test_the_best_checkpoint_is_recorded_where_it_ends_up(tmp_path):
    """With metric_for_best_model, transformers records the best checkpoint's path as it writes it (under staging);
    the record must name the checkpoint-N it is renamed to, so rotation keeps it and load_best_model_at_end finds it."""
    import torch
    from transformers import TrainerCallback, TrainingArguments

    import minformer
    from minformer.training import trainer as trainer_module
    from tests.conftest import decoder_config

    class WorseAfterTwoSteps(TrainerCallback):  # step 2's evaluation is the best one
        def on_evaluate(self, args, state, control, metrics, **kwargs):
            metrics["eval_loss"] = abs(state.global_step - 2)

    run_dir = tmp_path / "run"
    ids = torch.randint(3, 97, (8, 12))
    data = [{"input_ids": row, "labels": row} for row in ids]
    args = TrainingArguments(output_dir=str(run_dir), max_steps=5, save_steps=1, eval_steps=1, eval_strategy="steps",
                             save_total_limit=1, load_best_model_at_end=True, metric_for_best_model="loss",
                             per_device_train_batch_size=2, use_cpu=True, report_to=[])
    trainer = trainer_module.MinformerTrainer(model=minformer.MinformerDecoderForCausalLM(decoder_config()),
                                              args=args, train_dataset=data, eval_dataset=data[:2],
                                              callbacks=[WorseAfterTwoSteps()])
    trainer.train()
    best = str(run_dir / "checkpoint-2")
    assert trainer.state.best_model_checkpoint == best
    # rotation kept the best through steps 3-5; at the end transformers deletes the last one (save_total_limit=1)
    assert sorted(p.name for p in run_dir.iterdir()) == ["checkpoint-2"]
    assert json.loads((run_dir / "checkpoint-2" / "trainer_state.json").read_text())["best_model_checkpoint"] == best
