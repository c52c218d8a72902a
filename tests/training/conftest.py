"""How the tests run tiny pretraining on the built-in corpus: the flags, the command line, the logged losses
(the trained models themselves are session fixtures in tests/conftest.py, shared by every test folder)."""

import json
import subprocess
import sys

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


def logged_losses(run_dir):
    state = json.loads((run_dir / "trainer_state.json").read_text())
    return [(entry["step"], entry["loss"]) for entry in state["log_history"] if "loss" in entry]
