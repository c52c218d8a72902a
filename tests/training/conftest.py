"""Tiny pretraining runs on the built-in corpus, shared by the training and CLI tests (trained once per session)."""

import json
import subprocess
import sys

import pytest

from minformer.cli.main import main

TINY_MODEL = ["--hidden-size", "32", "--num-layers", "1", "--num-heads", "2", "--intermediate-size", "64",
              "--block-size", "32", "--vocab-size", "300"]
TINY_RUN = ["--batch-size", "8", "--eval-steps", "10", "--logging-steps", "2", "--save-steps", "10",
            "--learning-rate", "3e-3"]


def pretrain_args(family, output, steps=30, extra=()):
    return ["pretrain", "--builtin", "--family", family, *TINY_MODEL, *TINY_RUN, "--max-steps", str(steps),
            "--output", str(output), *extra]


def cli(*args, env=None, timeout=600):
    """Run the command line in a fresh process (as a user would)."""
    return subprocess.run([sys.executable, "-m", "minformer.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="session")
def tiny_decoder(tmp_path_factory):
    output = tmp_path_factory.mktemp("runs") / "decoder"
    assert main(pretrain_args("decoder", output)) == 0
    return output


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    output = tmp_path_factory.mktemp("runs") / "encoder"
    assert main(pretrain_args("encoder", output)) == 0
    return output


def logged_losses(run_dir):
    state = json.loads((run_dir / "trainer_state.json").read_text())
    return [(entry["step"], entry["loss"]) for entry in state["log_history"] if "loss" in entry]
