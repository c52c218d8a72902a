"""Sizing a run to a wall-time budget: the compute-optimal model for the FLOPs the seconds buy here, the tokens
capped by a small corpus, and steps that fill the budget at the model's measured speed (a fixed, fake FLOP/s
stands in for the measurement, so every number is exact)."""

import pytest

from minformer.scaling.flops import training_flops_per_token
from minformer.scaling.planner import decoder_config
from minformer.scaling.time_budget import MAX_EPOCHS, plan_for_seconds
from minformer.scaling.wall_time import plan_for_hours

FLOPS_PER_SECOND = 2e10
VOCAB, LENGTH, BATCH = 4096, 128, 16


def measure(config, length):
    return FLOPS_PER_SECOND, config


def per_step(plan) -> float:
    config = decoder_config(plan.hidden_size, plan.num_hidden_layers, VOCAB, LENGTH)
    return BATCH * LENGTH * training_flops_per_token(config, LENGTH) / FLOPS_PER_SECOND


def test_unlimited_data_trains_the_compute_optimal_model_for_the_whole_budget():
    plan = plan_for_seconds(300, VOCAB, LENGTH, BATCH, measure)
    optimal = plan_for_hours(300 / 3600, vocab_size=VOCAB, block_size=LENGTH, measure=measure).plan
    assert (plan.hidden_size, plan.num_hidden_layers) == (optimal.config["hidden_size"],
                                                          optimal.config["num_hidden_layers"])
    assert not plan.data_limited and plan.parameters == optimal.config_parameters
    assert 300 - per_step(plan) < plan.predicted_seconds <= 300  # the steps fill the budget, one step at most short
    assert plan.tokens == plan.steps * BATCH * LENGTH


def test_a_small_corpus_caps_the_tokens_and_buys_a_larger_model():
    free = plan_for_seconds(300, VOCAB, LENGTH, BATCH, measure)
    corpus = free.tokens / 10  # the optimum would take 10 passes
    limited = plan_for_seconds(300, VOCAB, LENGTH, BATCH, measure, available_tokens=corpus)
    assert limited.data_limited and limited.tokens <= MAX_EPOCHS * corpus
    assert limited.parameters > free.parameters
    assert limited.predicted_seconds <= 300 * 1.1  # the larger model still fits the budget (widths step by 64)


def test_more_time_buys_a_larger_model_and_more_tokens():
    short, long = (plan_for_seconds(seconds, VOCAB, LENGTH, BATCH, measure) for seconds in (60, 3600))
    assert long.parameters > short.parameters and long.tokens > short.tokens
    with pytest.raises(ValueError, match="time budget must be positive"):
        plan_for_seconds(0, VOCAB, LENGTH, BATCH, measure)
