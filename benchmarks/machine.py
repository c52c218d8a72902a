"""What every benchmark records about the machine it ran on."""

import os
import platform

import torch

from minformer.training.arguments import cpu_model


def machine_info() -> dict:
    """CPU model, core count, torch version and threads, so a number is never separated from its machine."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "platform": platform.platform()}
