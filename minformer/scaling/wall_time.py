"""A plan with its wall time on this machine (`minformer plan`): a FLOP budget timed here, or a number of hours
turned into the budget they buy.

The FLOP/s is either given or measured by training the planned config for a few steps (`throughput.py`). For hours
the budget depends on the config (its FLOP/s and FLOPs per token) and the config on the budget, so the plan is a
fixed point: time a config, plan exactly the hours for it, and move to the config that budget would choose, until
the two agree or MAX_ITERATIONS configs were timed.
"""

from collections.abc import Callable
from dataclasses import dataclass

from ..configuration import MinformerDecoderConfig
from .chinchilla import CHINCHILLA, FLOPS_PER_PARAMETER_TOKEN, ParametricLoss
from .flops import parameter_count, training_flops_per_token
from .planner import Plan, decoder_config, plan
from .throughput import measure_training_flops_per_second

SECONDS_PER_HOUR = 3600
MAX_ITERATIONS = 4  # configs timed at most for --hours
FIRST_GUESS_FLOPS = 1e15  # the budget whose config is timed first for --hours (any budget works; this is quick)

# (config, sequence length) -> (training FLOP/s, the config actually timed)
Measure = Callable[[MinformerDecoderConfig, int], tuple[float, MinformerDecoderConfig]]


@dataclass
class TimedPlan:
    """A plan with a wall time, and the decoder whose training FLOP/s it used (None when the FLOP/s was given)."""

    plan: Plan
    measured_on: MinformerDecoderConfig | None = None


def _check_flops_per_second(flops_per_second: float | None) -> None:
    if flops_per_second is not None and not flops_per_second > 0:
        raise ValueError(f"--flops-per-second must be positive, got {flops_per_second}.")


def _config_of(config: dict, vocab_size: int, block_size: int) -> MinformerDecoderConfig:
    """The decoder of a plan's `config` entry."""
    return decoder_config(config["hidden_size"], config["num_hidden_layers"], vocab_size, block_size)


def timed_plan(flops: float, vocab_size: int = 8192, block_size: int = 128, target: str = "parametric",
               law: ParametricLoss = CHINCHILLA, flops_per_second: float | None = None,
               measure: Measure = measure_training_flops_per_second) -> TimedPlan:
    """Plan `flops` FLOPs and time the chosen config at `flops_per_second`, measured with `measure` if not given."""
    _check_flops_per_second(flops_per_second)
    options = dict(vocab_size=vocab_size, block_size=block_size, target=target, law=law)
    measured_on = None
    if flops_per_second is None:
        chosen = _config_of(plan(flops, **options).config, vocab_size, block_size)
        flops_per_second, measured_on = measure(chosen, block_size)
    return TimedPlan(plan(flops, flops_per_second=flops_per_second, **options), measured_on)


def plan_for_hours(hours: float, vocab_size: int = 8192, block_size: int = 128, target: str = "parametric",
                   law: ParametricLoss = CHINCHILLA, flops_per_second: float | None = None,
                   measure: Measure = measure_training_flops_per_second) -> TimedPlan:
    """The plan that `hours` of training buy on this machine, for the config that budget chooses (the fixed point
    of the module docstring). Each iteration times its config with `measure` unless `flops_per_second` is given;
    without convergence the last timed config is planned."""
    if not hours > 0:
        raise ValueError(f"--hours must be positive, got {hours}.")
    _check_flops_per_second(flops_per_second)
    options = dict(vocab_size=vocab_size, block_size=block_size, target=target, law=law)
    config, measured_on, fps = plan(FIRST_GUESS_FLOPS, **options).config, None, flops_per_second
    for _ in range(MAX_ITERATIONS):
        model_config = _config_of(config, vocab_size, block_size)
        if flops_per_second is None:
            fps, measured_on = measure(model_config, block_size)
        tokens = hours * SECONDS_PER_HOUR * fps / training_flops_per_token(model_config, block_size)
        budget = FLOPS_PER_PARAMETER_TOKEN * parameter_count(model_config) * tokens
        result = plan(budget, flops_per_second=fps, config=model_config, **options)
        chosen = plan(budget, **options).config
        if chosen == config:
            break
        config = chosen
    return TimedPlan(result, measured_on)
