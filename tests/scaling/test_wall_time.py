"""Plans with a wall time (`minformer plan --hours` / `--flops`), with the FLOP/s given or measured by a fake: nothing
is timed here."""

import math

import pytest

from minformer.scaling import plan, plan_for_hours, timed_plan
from minformer.scaling.wall_time import MAX_ITERATIONS

SIZES = dict(vocab_size=512, block_size=32)


class FakeMeasure:
    """A stand-in for measure_training_flops_per_second: records the configs it is asked to time and answers with
    the next FLOP/s of `rates` (the last one repeated)."""

    def __init__(self, *rates: float):
        self.rates, self.timed = list(rates), []

    def __call__(self, config, block_size):
        assert block_size == SIZES["block_size"]
        self.timed.append(config)
        return self.rates[min(len(self.timed), len(self.rates)) - 1], config


@pytest.mark.parametrize("hours", [0.01, 1.0, 100.0])
def test_hours_converge_to_the_config_their_own_budget_chooses(hours):
    measure = FakeMeasure(2e10)
    result = plan_for_hours(hours, **SIZES, measure=measure)
    assert 1 <= len(measure.timed) <= MAX_ITERATIONS
    assert plan(result.plan.flops, **SIZES).config == result.plan.config  # the fixed point
    assert math.isclose(result.plan.seconds, hours * 3600, rel_tol=1e-9)  # the budget is what the hours buy
    assert result.plan.flops_per_second == 2e10
    assert result.measured_on is measure.timed[-1]
    assert result.plan.config["hidden_size"] == measure.timed[-1].hidden_size


def test_given_flops_per_second_is_used_without_measuring():
    def never(config, block_size):
        raise AssertionError("measured although the FLOP/s was given")

    result = plan_for_hours(0.5, **SIZES, flops_per_second=3e10, measure=never)
    assert result.measured_on is None and result.plan.flops_per_second == 3e10
    assert math.isclose(result.plan.seconds, 1800, rel_tol=1e-9)
    assert plan(result.plan.flops, **SIZES).config == result.plan.config


def test_hours_stop_after_max_iterations_and_plan_the_last_timed_config():
    measure = FakeMeasure(*(1e9 * 30 ** i for i in range(2 * MAX_ITERATIONS)))  # faster every time: never agrees
    result = plan_for_hours(1.0, **SIZES, measure=measure)
    assert len(measure.timed) == MAX_ITERATIONS
    assert result.measured_on is measure.timed[-1]
    assert (result.plan.config["hidden_size"], result.plan.config["num_hidden_layers"]) == \
        (measure.timed[-1].hidden_size, measure.timed[-1].num_hidden_layers)
    assert math.isclose(result.plan.seconds, 3600, rel_tol=1e-9)


def test_a_flop_budget_times_the_config_it_plans():
    measure = FakeMeasure(5e10)
    result = timed_plan(1e15, **SIZES, measure=measure)
    assert len(measure.timed) == 1 and result.measured_on is measure.timed[0]
    assert measure.timed[0].hidden_size == result.plan.config["hidden_size"] == plan(1e15, **SIZES).config[
        "hidden_size"]
    assert math.isclose(result.plan.seconds,
                        result.plan.config_tokens * result.plan.config_flops_per_token / 5e10, rel_tol=1e-12)
    given = timed_plan(1e15, **SIZES, flops_per_second=5e10, measure=FakeMeasure())
    assert given.measured_on is None and given.plan == result.plan


@pytest.mark.parametrize("call, message", [
    (lambda: plan_for_hours(0, **SIZES, flops_per_second=1e10), "--hours must be positive, got 0"),
    (lambda: plan_for_hours(float("nan"), **SIZES, flops_per_second=1e10), "--hours must be positive"),
    (lambda: plan_for_hours(1.0, **SIZES, flops_per_second=-1.0), "--flops-per-second must be positive"),
    (lambda: timed_plan(1e15, **SIZES, flops_per_second=0.0), "--flops-per-second must be positive"),
    (lambda: timed_plan(-3, **SIZES, flops_per_second=1e10), "positive number of FLOPs"),
])
def test_bad_inputs_are_refused_before_anything_is_timed(call, message):
    with pytest.raises(ValueError, match=message):
        call()
