"""A run killed at any point resumes to the same final step; the same command runs under torchrun with 2 processes
(gloo on CPU) and matches a 1-process run with the same global batch (with Muon), and under accelerate launch."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from transformers import AutoModelForCausalLM

from minformer.cli.main import main
from tests.training.conftest import logged_losses, pretrain_args


def test_killed_run_resumes_to_the_same_final_step(tmp_path, capsys):
    steps = 120
    full, killed, partial = tmp_path / "full", tmp_path / "killed", tmp_path / "killed.partial"
    assert main(pretrain_args("decoder", full, steps=steps)) == 0
    process = subprocess.Popen([sys.executable, "-m", "minformer.cli.main", *pretrain_args("decoder", killed, steps)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (partial / "checkpoint-40").exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not killed.exists()  # the run is built in killed.partial and moved into place only when complete
    checkpoints = sorted(partial.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert checkpoints and int(checkpoints[-1].name.split("-")[1]) < steps  # killed before the end
    for checkpoint in checkpoints:  # whatever moment the kill hit, every checkpoint is whole
        assert (checkpoint / "trainer_state.json").is_file() and (checkpoint / "optimizer.pt").is_file()
        AutoModelForCausalLM.from_pretrained(checkpoint)

    # the killed process left its lock: reported with the command that clears it
    lock = tmp_path / ".killed.lock"
    assert main(pretrain_args("decoder", killed, steps, extra=["--resume"])) == 2
    assert f"stale lock: {lock} was left by pid {process.pid}" in capsys.readouterr().err
    lock.unlink()
    assert main(pretrain_args("decoder", killed, steps, extra=["--resume"])) == 0
    assert not partial.exists()
    resumed = json.loads((killed / "summary.json").read_text())
    uninterrupted = json.loads((full / "summary.json").read_text())
    assert resumed["steps"] == uninterrupted["steps"] == steps
    assert abs(resumed["validation_mean_nll"] - uninterrupted["validation_mean_nll"]) < 0.05
    assert logged_losses(killed)[-1][0] == steps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_two_processes_match_one_process_with_the_same_global_batch(tmp_path):
    # with Muon (each process orthogonalises the same all-reduced gradients); AdamW runs in two processes below
    common = ["--logging-steps", "1", "--eval-steps", "1000", "--learning-rate", "1e-3", "--optimizer", "muon"]
    one = tmp_path / "one"
    assert main(pretrain_args("decoder", one, steps=4, extra=[*common, "--batch-size", "8"])) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    two = tmp_path / "two"
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
         "-m", "minformer.cli.main", *pretrain_args("decoder", two, steps=4, extra=[*common, "--batch-size", "4"])],
        capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    single, distributed = logged_losses(one), logged_losses(two)
    assert [step for step, _ in distributed] == [1, 2, 3, 4]
    for (_, a), (_, b) in zip(single, distributed):
        assert abs(a - b) < 1e-3 * a, (single, distributed)
    summary = json.loads((two / "summary.json").read_text())
    assert summary["tokens_seen"] == 4 * 8 * 32  # 2 processes × 4 sequences × 32 tokens per step
    assert summary["world_size"] == 2 and json.loads((one / "summary.json").read_text())["world_size"] == 1


def test_the_readmes_accelerate_command_runs_two_processes_on_cpu(tmp_path):
    """`accelerate launch --num_processes 2` alone starts one process on a machine without GPUs (accelerate routes
    CPU launches to its single-process launcher); with `--multi_gpu` it starts two, on gloo."""
    output = tmp_path / "accelerate"
    accelerate = Path(sys.executable).with_name("accelerate")
    done = subprocess.run(
        [str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--main_process_port", str(free_port()),
         "-m", "minformer.cli.main", *pretrain_args("decoder", output, steps=2, extra=["--batch-size", "4"])],
        capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((output / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["tokens_seen"] == 2 * 2 * 4 * 32
