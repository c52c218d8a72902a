"""Scaling laws: FLOP and parameter counts of a config, Chinchilla's compute-optimal allocation, the planner that
picks a minformer config for a budget (or for hours on this machine), and the sweep that fits a law on your own
corpus."""

from .chinchilla import CHINCHILLA, ParametricLoss, tokens_per_parameter_rule
from .fit import Fit, fit_parametric_loss
from .flops import (
    matmul_weights,
    parameter_count,
    training_flops,
    training_flops_per_token,
)
from .planner import Plan, closest_decoder_config, plan
from .wall_time import TimedPlan, plan_for_hours, timed_plan

__all__ = [
    "CHINCHILLA",
    "Fit",
    "ParametricLoss",
    "Plan",
    "TimedPlan",
    "closest_decoder_config",
    "fit_parametric_loss",
    "matmul_weights",
    "parameter_count",
    "plan",
    "plan_for_hours",
    "timed_plan",
    "tokens_per_parameter_rule",
    "training_flops",
    "training_flops_per_token",
]
