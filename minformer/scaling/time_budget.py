"""A training run sized to a wall-time budget on this machine: the lecture's Chinchilla slide put to work.

The budget's FLOPs (seconds × the training FLOP/s measured here) choose the compute-optimal model and token count
(`wall_time.plan_for_hours`, Hoffmann et al. 2022). A small corpus caps the tokens: repeating text beyond
MAX_EPOCHS passes is worth little (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models"), so when the
optimum asks for more, the plan takes MAX_EPOCHS passes and spends the rest of the budget on a larger model. The
step count then fills the budget at the chosen model's measured speed.
"""

import math
from dataclasses import asdict, dataclass

from .flops import parameter_count, training_flops_per_token
from .planner import closest_decoder_config, decoder_config
from .wall_time import Measure, plan_for_hours

MAX_EPOCHS = 4  # passes over the training text worth nearly as much as fresh text (Muennighoff et al. 2023)
MIN_STEPS = 2
SEARCH_ITERATIONS = 4  # model sizes timed at most when the corpus caps the tokens


@dataclass
class BudgetPlan:
    """What to train in `seconds`: the model's sizes, its steps, and how the plan was reached."""

    seconds: float  # the budget
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    parameters: int  # embeddings included, as Chinchilla counts
    steps: int
    tokens: int  # steps × batch × sequence length
    flops_per_second: float  # training FLOP/s measured here for this model
    predicted_seconds: float  # steps × batch × sequence length × FLOPs per token / FLOP/s
    data_limited: bool  # the corpus capped the tokens at MAX_EPOCHS passes

    def sizes(self) -> dict:
        """The model-size options of `minformer pretrain` (PretrainOptions fields)."""
        return {key: getattr(self, key) for key in ("hidden_size", "num_hidden_layers", "num_attention_heads",
                                                    "intermediate_size")}

    def describe(self) -> str:
        limited = f", {MAX_EPOCHS} passes over the corpus (it caps the tokens)" if self.data_limited else ""
        return (f"{self.seconds:.0f} s at {self.flops_per_second:.3g} FLOP/s measured here -> "
                f"{self.num_hidden_layers} layers × {self.hidden_size} ({self.parameters:,} parameters), "
                f"{self.steps:,} steps = {self.tokens:,} tokens{limited}; predicted {self.predicted_seconds:.0f} s")

    def to_dict(self) -> dict:
        return asdict(self)


def plan_for_seconds(seconds: float, vocab_size: int, sequence_length: int, batch_size: int, measure: Measure,
                     available_tokens: float | None = None) -> BudgetPlan:
    """The compute-optimal decoder-sized model for `seconds` of training here (capped by MAX_EPOCHS passes over
    `available_tokens`), with the steps of `batch_size` sequences that fill the budget at its measured FLOP/s."""
    if not seconds > 0:
        raise ValueError(f"the time budget must be positive, got {seconds} s.")
    timed = plan_for_hours(seconds / 3600, vocab_size=vocab_size, block_size=sequence_length, measure=measure)
    config = decoder_config(timed.plan.config["hidden_size"], timed.plan.config["num_hidden_layers"], vocab_size,
                            sequence_length)
    fps = timed.plan.flops_per_second
    cap = MAX_EPOCHS * available_tokens if available_tokens else math.inf
    limited = timed.plan.config_tokens > cap
    if limited:  # the largest model that MAX_EPOCHS passes fill the budget with (time grows with the model)
        for _ in range(SEARCH_ITERATIONS):
            fps, _ = measure(config, sequence_length)
            time_per_pass = cap * training_flops_per_token(config, sequence_length) / fps
            target = parameter_count(config) * seconds / time_per_pass
            bigger = closest_decoder_config(target, vocab_size, sequence_length)
            if bigger.to_dict() == config.to_dict():
                break  # `fps` is this config's
            config = bigger
        else:  # the last config chosen was not timed yet
            fps, _ = measure(config, sequence_length)
    per_step = batch_size * sequence_length * training_flops_per_token(config, sequence_length)
    steps = max(MIN_STEPS, int(seconds * fps / per_step))
    if limited:
        steps = max(MIN_STEPS, min(steps, int(cap / (batch_size * sequence_length))))
    return BudgetPlan(seconds=seconds, hidden_size=config.hidden_size, num_hidden_layers=config.num_hidden_layers,
                      num_attention_heads=config.num_attention_heads, intermediate_size=config.intermediate_size,
                      parameters=parameter_count(config), steps=steps, tokens=steps * batch_size * sequence_length,
                      flops_per_second=fps, predicted_seconds=steps * per_step / fps, data_limited=limited)
