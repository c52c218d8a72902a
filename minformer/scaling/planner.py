"""`minformer plan`: how big a decoder to train, on how many tokens, for a compute budget (Chinchilla), and the
minformer config closest to that size.

Configs are searched with the textbook proportions: head size 64, feed-forward 4·C, and an aspect ratio C/L
between 32 and 256 (Kaplan et al. 2020 found the loss flat across that range); among those within 10% of the target
parameter count the one closest to C/L = 64 wins, otherwise the closest count.
"""

import math
from dataclasses import asdict, dataclass

from ..configuration import MinformerDecoderConfig
from .chinchilla import CHINCHILLA, ParametricLoss, tokens_per_parameter_rule
from .flops import parameter_count, training_flops_per_token

HEAD_SIZE = 64
ASPECT_RATIO = 64  # preferred C / L
ASPECT_RANGE = (32, 256)
COUNT_TOLERANCE = 0.10
MAX_LAYERS = 128
MAX_PARAMETERS = 1e13  # 10 trillion, beyond any dense model trained; the config search grows with the target size


def decoder_config(hidden_size: int, num_layers: int, vocab_size: int, block_size: int) -> MinformerDecoderConfig:
    """minformer's default decoder with the textbook proportions at this width and depth."""
    return MinformerDecoderConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=num_layers,
                                  num_attention_heads=max(1, hidden_size // HEAD_SIZE),
                                  max_position_embeddings=block_size)


def closest_decoder_config(parameters: float, vocab_size: int, block_size: int) -> MinformerDecoderConfig:
    """The decoder config (widths in multiples of 64, 1-128 layers) whose total parameter count is closest to
    `parameters`, preferring C/L near 64 among those within 10% (see the module docstring)."""
    if not parameters > 0:
        raise ValueError(f"the target parameter count must be positive, got {parameters}.")
    if parameters > MAX_PARAMETERS:
        raise ValueError(f"the budget asks for a model of {parameters:.3g} parameters; the planner searches decoders "
                         f"of up to {MAX_PARAMETERS:.0e} parameters (budgets up to about 1e28 FLOPs): give a smaller "
                         "--flops or --hours.")
    candidates = []  # (|log(count / target)|, |log(aspect / 64)|, aspect in range, width, layers)
    width = HEAD_SIZE
    while True:
        # the count is linear in the depth: embeddings and final norm once, then one block per layer
        one, two = (parameter_count(decoder_config(width, n, vocab_size, block_size)) for n in (1, 2))
        block, fixed = two - one, 2 * one - two
        for layers in range(1, MAX_LAYERS + 1):
            count = fixed + layers * block
            aspect = width / layers
            candidates.append((abs(math.log(count / parameters)), abs(math.log(aspect / ASPECT_RATIO)),
                               ASPECT_RANGE[0] <= aspect <= ASPECT_RANGE[1], width, layers))
            if count > 4 * parameters:
                break
        if one > 4 * parameters:
            break
        width += HEAD_SIZE
    close = [c for c in candidates if c[0] <= math.log1p(COUNT_TOLERANCE) and c[2]]
    best = min(close, key=lambda c: (c[1], c[0])) if close else min(candidates, key=lambda c: (c[0], c[1]))
    return decoder_config(best[3], best[4], vocab_size, block_size)


@dataclass
class Plan:
    """A compute budget, the paper's optimal allocations, and the minformer config chosen for it."""

    flops: float
    parametric_parameters: float  # Approach 3's N_opt
    parametric_tokens: float
    parametric_loss: float  # L(N_opt, D_opt) with the paper's constants (its data, its tokenizer)
    rule_parameters: float  # the ~20 tokens/parameter rule
    rule_tokens: float
    rule_loss: float
    config: dict  # hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, vocab_size, block size
    config_parameters: int  # total, embeddings included (as the paper counts)
    config_tokens: float  # tokens the budget buys for this config at 6·N FLOPs per token
    config_loss: float  # L(config_parameters, config_tokens)
    config_flops_per_token: int  # 6·N_matmul + 12·L·T·C: the count of the actual model (flops.py)
    flops_per_second: float | None = None  # training FLOP/s on this machine (actual FLOPs, flops.py's count)
    seconds: float | None = None  # expected wall time here: config_tokens × config_flops_per_token / FLOP/s

    def to_dict(self) -> dict:
        return asdict(self)


def plan(flops: float, vocab_size: int = 8192, block_size: int = 128, target: str = "parametric",
         law: ParametricLoss = CHINCHILLA, flops_per_second: float | None = None,
         config: MinformerDecoderConfig | None = None) -> Plan:
    """Plan a training run of `flops` FLOPs; `target` picks which allocation the config follows ("parametric" or
    "rule"); `flops_per_second` (measured) turns the budget into wall time; `config` plans that decoder instead of
    searching for the closest one."""
    if not flops > 0 or math.isinf(flops):
        raise ValueError(f"the compute budget must be a positive number of FLOPs, got {flops}.")
    if target not in ("parametric", "rule"):
        raise ValueError(f"unknown target {target!r}; use 'parametric' (the fitted law) or 'rule' (20 tokens/param).")
    parametric = law.optimal(flops)
    rule = tokens_per_parameter_rule(flops)
    if config is None:
        config = closest_decoder_config(parametric[0] if target == "parametric" else rule[0], vocab_size, block_size)
    count = parameter_count(config)
    tokens = flops / (6 * count)
    per_token = training_flops_per_token(config, block_size)
    return Plan(
        flops=flops, parametric_parameters=parametric[0], parametric_tokens=parametric[1],
        parametric_loss=law.loss(*parametric), rule_parameters=rule[0], rule_tokens=rule[1],
        rule_loss=law.loss(*rule),
        config={"hidden_size": config.hidden_size, "num_hidden_layers": config.num_hidden_layers,
                "num_attention_heads": config.num_attention_heads, "intermediate_size": config.intermediate_size,
                "vocab_size": config.vocab_size, "block_size": block_size},
        config_parameters=count, config_tokens=tokens, config_loss=law.loss(count, tokens),
        config_flops_per_token=per_token, flops_per_second=flops_per_second,
        seconds=tokens * per_token / flops_per_second if flops_per_second else None,
    )
