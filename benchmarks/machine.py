"""What every benchmark records about the machine it ran on."""

import os
import platform

import torch


def machine_info() -> dict:
    """CPU model, core count, torch version and threads, so a number is never separated from its machine."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "platform": platform.platform()}
