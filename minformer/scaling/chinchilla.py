"""Compute-optimal allocation after Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models".

Training compute C ≈ 6·N·D FLOPs for N parameters (embeddings included, as the paper counts them) and D tokens.
Two of the paper's answers to "which N and D minimise the loss for a given C":

- the parametric fit (its Approach 3): L(N, D) = E + A/N^α + B/D^β, minimised on C = 6·N·D in closed form,
  N_opt = G·(C/6)^a and D_opt = G⁻¹·(C/6)^b with G = (αA / βB)^(1/(α+β)), a = β/(α+β), b = α/(α+β);
- the rule its Approaches 1 and 2 agree on: about 20 training tokens per parameter, so N = √(C/120), D = 20·N.

The constants below are the rounded ones the paper prints (§3.3). Besiroglu et al. 2024 ("Chinchilla Scaling: A
replication attempt") showed they are biased by that rounding: for Gopher's budget (5.76e23 FLOPs) they give a
32 B-parameter model where the paper, from its unrounded fit, reports 40 B; the 20-token rule gives 69 B (Chinchilla
itself is 70 B on 1.4 T tokens).
"""

import math
from dataclasses import dataclass

TOKENS_PER_PARAMETER = 20.0  # Approaches 1 and 2: Chinchilla is 70 B parameters trained on 1.4 T tokens
FLOPS_PER_PARAMETER_TOKEN = 6.0  # C ≈ 6·N·D: 2 FLOPs per weight forward, 4 backward


@dataclass(frozen=True)
class ParametricLoss:
    """L(N, D) = E + A/N^α + B/D^β: the loss (nats/token) of N parameters trained on D tokens."""

    E: float  # irreducible loss: the entropy of the text
    A: float
    B: float
    alpha: float
    beta: float

    def loss(self, parameters: float, tokens: float) -> float:
        return self.E + self.A / parameters**self.alpha + self.B / tokens**self.beta

    @property
    def G(self) -> float:
        return (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))

    @property
    def a(self) -> float:
        """N_opt ∝ C^a."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """D_opt ∝ C^b (a + b = 1)."""
        return self.alpha / (self.alpha + self.beta)

    def optimal(self, flops: float) -> tuple[float, float]:
        """(N_opt, D_opt) minimising L(N, D) subject to 6·N·D = flops."""
        scaled = flops / FLOPS_PER_PARAMETER_TOKEN
        return self.G * scaled**self.a, scaled**self.b / self.G

    def frontier(self, flops: float) -> float:
        """The lowest loss `flops` can buy: L(N_opt, D_opt)."""
        return self.loss(*self.optimal(flops))


# Hoffmann et al. 2022, §3.3 / Appendix D.2, as printed (rounded)
CHINCHILLA = ParametricLoss(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)


def tokens_per_parameter_rule(flops: float, ratio: float = TOKENS_PER_PARAMETER) -> tuple[float, float]:
    """(N, D) with D = ratio·N and 6·N·D = flops."""
    parameters = math.sqrt(flops / (FLOPS_PER_PARAMETER_TOKEN * ratio))
    return parameters, ratio * parameters
