"""Fitting the parametric law: it must recover known constants from losses they generate."""

import math

import pytest

from minformer.scaling import ParametricLoss, fit_parametric_loss

SIZES = [2e4, 5e4, 1.2e5, 3e5, 8e5]
BUDGETS = [1e5, 3e5, 1e6, 3e6]


@pytest.mark.parametrize("true", [
    ParametricLoss(E=1.8, A=60.0, B=300.0, alpha=0.45, beta=0.38),
    ParametricLoss(E=3.0, A=25.0, B=90.0, alpha=0.3, beta=0.3),
])
def test_fit_recovers_the_constants_that_generated_the_losses(true):
    n = [s for s in SIZES for _ in BUDGETS]
    d = [b for _ in SIZES for b in BUDGETS]
    losses = [true.loss(x, y) for x, y in zip(n, d)]
    fit = fit_parametric_loss(n, d, losses, bootstrap=8)
    for name in ("E", "A", "B", "alpha", "beta"):
        assert math.isclose(getattr(fit.law, name), getattr(true, name), rel_tol=2e-3), name
    assert fit.rms_log_residual < 1e-5
    assert fit.runs == 20 and all(math.isfinite(v) for v in fit.stderr.values())


def test_noise_shows_up_as_uncertainty():
    true = ParametricLoss(E=1.8, A=60.0, B=300.0, alpha=0.45, beta=0.38)
    n = [s for s in SIZES for _ in BUDGETS]
    d = [b for _ in SIZES for b in BUDGETS]
    noise = [0.01 * math.sin(7.0 * i) for i in range(len(n))]  # deterministic ±1% wiggle
    losses = [true.loss(x, y) * (1 + e) for x, y, e in zip(n, d, noise)]
    exact = fit_parametric_loss(n, d, [true.loss(x, y) for x, y in zip(n, d)], bootstrap=20)
    noisy = fit_parametric_loss(n, d, losses, bootstrap=20)
    assert noisy.stderr["alpha"] > 10 * exact.stderr["alpha"]
    assert noisy.rms_log_residual > 1e-3


@pytest.mark.parametrize("n, d, losses, message", [
    ([1e4, 2e4], [1e5, 2e5], [3.0, 2.9], "at least 5 runs"),
    ([1e4] * 6, [1e5, 2e5, 3e5, 4e5, 5e5, 6e5], [3.0] * 6, "2 model sizes"),
    ([1e4, 2e4, 3e4, 4e4, 5e4], [1e5, 2e5, 3e5, 4e5, 5e5], [3.0, 2.0, 1.0, 0.0, 1.0], "positive"),
    ([1e4, 2e4], [1e5], [3.0, 2.0], "one entry per run"),
])
def test_bad_inputs(n, d, losses, message):
    with pytest.raises(ValueError, match=message):
        fit_parametric_loss(n, d, losses)
