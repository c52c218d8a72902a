"""Fitting L(N, D) = E + A/N^α + B/D^β to measured losses, the way Hoffmann et al. 2022 (App. D.2) did: minimise
the Huber loss (δ = 1e-3) between log L̂ and log L, with log L̂ = LSE(a − α·log N, b − β·log D, e) (A = eᵃ,
B = eᵇ, E = eᵉ), from a grid of starting points, then L-BFGS; uncertainty by bootstrap over the runs.
"""

import contextlib
import itertools
import math
from dataclasses import asdict, dataclass

import torch

from .chinchilla import ParametricLoss

HUBER_DELTA = 1e-3
# the paper's grid of initialisations, coarsened: α, β ∈ {0, 0.5, ..., 2}, e ∈ {-1, 0, 1}, a, b ∈ {0, 5, ..., 25}
GRID = (
    [0.0, 0.5, 1.0, 1.5, 2.0],  # α
    [0.0, 0.5, 1.0, 1.5, 2.0],  # β
    [-1.0, 0.0, 1.0],  # e
    [0.0, 5.0, 10.0, 15.0, 20.0, 25.0],  # a
    [0.0, 5.0, 10.0, 15.0, 20.0, 25.0],  # b
)
NAMES = ("alpha", "beta", "E", "A", "B")
SCREENING_STEPS = 150  # Adam steps that rank the starting points before L-BFGS polishes the best


@dataclass
class Fit:
    """The fitted law, the bootstrap standard deviation of each constant, and how well it fits."""

    law: ParametricLoss
    stderr: dict  # name (and log_A, log_B) -> bootstrap standard deviation (nan with too few resamples)
    runs: int
    rms_log_residual: float  # root mean square of log L̂ − log L over the runs

    def to_dict(self) -> dict:
        return {"law": asdict(self.law), "stderr": self.stderr, "runs": self.runs,
                "rms_log_residual": self.rms_log_residual}


def _objective(theta: torch.Tensor, log_n: torch.Tensor, log_d: torch.Tensor, log_l: torch.Tensor) -> torch.Tensor:
    """Huber loss summed over runs, for each row of theta (K, 5) = (α, β, e, a, b); returns (K,)."""
    alpha, beta, e, a, b = (column[:, None] for column in theta.unbind(-1))  # (K, 1) each
    n_term, d_term, e_term = a - alpha * log_n, b - beta * log_d, e.expand(-1, log_n.shape[0])  # (K, runs)
    top = torch.maximum(torch.maximum(n_term, d_term), e_term).detach()  # log-sum-exp of three, written out:
    log_predicted = top + ((n_term - top).exp() + (d_term - top).exp() + (e_term - top).exp()).log()  # faster
    residual = log_predicted - log_l  # (K, runs)
    return torch.nn.functional.huber_loss(residual, torch.zeros_like(residual), delta=HUBER_DELTA,
                                          reduction="none").sum(-1)


def _polish(theta: torch.Tensor, data: tuple) -> tuple[torch.Tensor, float]:
    """L-BFGS from one starting point; returns the optimum and its objective."""
    theta = theta.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([theta], lr=1.0, max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-15,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        value = _objective(theta[None], *data).sum()
        value.backward()
        return value

    optimizer.step(closure)
    with torch.no_grad():
        return theta.detach(), float(_objective(theta[None], *data))


def _best_theta(data: tuple, starts: torch.Tensor, keep: int = 8) -> torch.Tensor:
    """Rank every start by a batched Adam descent, then polish the `keep` best with L-BFGS; the best optimum."""
    theta = starts.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=0.05)
    for _ in range(SCREENING_STEPS):
        optimizer.zero_grad()
        _objective(theta, *data).sum().backward()
        optimizer.step()
    with torch.no_grad():
        values = _objective(theta, *data)
        values = torch.where(torch.isfinite(values), values, torch.full_like(values, math.inf))
    polished = [_polish(theta[i].detach(), data) for i in values.argsort()[:keep]]
    return min(polished, key=lambda pair: pair[1] if math.isfinite(pair[1]) else math.inf)[0]


def _law(theta: torch.Tensor) -> ParametricLoss:
    alpha, beta, e, a, b = (float(x) for x in theta)
    return ParametricLoss(E=math.exp(e), A=math.exp(a), B=math.exp(b), alpha=alpha, beta=beta)


@contextlib.contextmanager
def _one_thread():
    """The fit's tensors are tiny: one thread is faster, and far faster when another process holds a core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def fit_parametric_loss(parameters: list[float], tokens: list[float], losses: list[float], bootstrap: int = 100,
                        seed: int = 0) -> Fit:
    """Fit the law to runs (N_i, D_i, L_i); at least 5 runs for 5 constants, and more than one N and one D."""
    if not len(parameters) == len(tokens) == len(losses):
        raise ValueError("parameters, tokens and losses must have one entry per run.")
    if len(losses) < 5 or len(set(parameters)) < 2 or len(set(tokens)) < 2:
        raise ValueError(f"fitting E, A, B, α and β needs at least 5 runs over at least 2 model sizes and 2 token "
                         f"budgets; got {len(losses)} runs, {len(set(parameters))} sizes, {len(set(tokens))} "
                         "budgets. Add sizes or budgets to the sweep.")
    if min(losses) <= 0:
        raise ValueError("losses must be positive (cross-entropy in nats per token).")
    with _one_thread():
        return _fit(parameters, tokens, losses, bootstrap, seed)


def _fit(parameters: list[float], tokens: list[float], losses: list[float], bootstrap: int, seed: int) -> Fit:
    columns = [torch.tensor(v, dtype=torch.float64).log() for v in (parameters, tokens, losses)]
    starts = torch.tensor(list(itertools.product(*GRID)), dtype=torch.float64)
    best = _best_theta(tuple(columns), starts)
    law = _law(best)

    generator = torch.Generator().manual_seed(seed)
    samples = []
    runs = len(losses)
    for _ in range(bootstrap):
        index = torch.randint(0, runs, (runs,), generator=generator)
        data = tuple(column[index] for column in columns)
        if len(set(data[0].tolist())) < 2 or len(set(data[1].tolist())) < 2:
            continue  # a resample with one size or one budget cannot identify the law
        samples.append(_law(_polish(best, data)[0]))  # the full fit is a good start for a resample
    stderr = {}
    for name in NAMES:
        values = torch.tensor([getattr(s, name) for s in samples], dtype=torch.float64)
        stderr[name] = float(values.std()) if len(values) > 1 else math.nan
        if name in ("A", "B"):  # A and B span orders of magnitude: their spread is multiplicative
            stderr["log_" + name] = float(values.log().std()) if len(values) > 1 else math.nan

    predicted = torch.tensor([law.loss(n, d) for n, d in zip(parameters, tokens)], dtype=torch.float64)
    rms = float(((predicted.log() - columns[2]) ** 2).mean().sqrt())
    return Fit(law=law, stderr=stderr, runs=runs, rms_log_residual=rms)
