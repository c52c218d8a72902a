"""Scaling laws: FLOP and parameter counts of a config, Chinchilla's compute-optimal allocation, the planner that
picks a minformer config for a budget, and the sweep that fits a law on your own corpus."""

from .chinchilla import CHINCHILLA, ParametricLoss, tokens_per_parameter_rule
from .fit import Fit, fit_parametric_loss
from .flops import (
    matmul_weights,
    parameter_count,
    training_flops,
    training_flops_per_token,
)
from .planner import Plan, closest_decoder_config, plan

__all__ = [
    "CHINCHILLA",
    "Fit",
    "ParametricLoss",
    "Plan",
    "closest_decoder_config",
    "fit_parametric_loss",
    "matmul_weights",
    "parameter_count",
    "plan",
    "tokens_per_parameter_rule",
    "training_flops",
    "training_flops_per_token",
]
