"""Positional encodings against their definitions."""

import math

import pytest
import torch

import minformer
from minformer.modeling.positions import RotaryEmbedding, apply_rotary, sinusoidal_positions
from tests.conftest import decoder_config, encoder_config


def test_sinusoidal_matches_the_paper_formula():
    dim, positions = 16, torch.tensor([[0, 1, 5, 63]])
    table = sinusoidal_positions(positions, dim, torch.float64)
    for t, pos in enumerate(positions[0].tolist()):
        for i in range(dim // 2):
            angle = pos / 10000 ** (2 * i / dim)
            assert table[0, t, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert table[0, t, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_rope_scores_depend_only_on_relative_position():
    rotary = RotaryEmbedding(decoder_config())
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)

    def score(m, n):
        cos_m, sin_m = rotary(torch.tensor([[m]]), torch.float32)
        cos_n, sin_n = rotary(torch.tensor([[n]]), torch.float32)
        return (apply_rotary(q, cos_m, sin_m) * apply_rotary(k, cos_n, sin_n)).sum().item()

    assert score(3, 1) == pytest.approx(score(12, 10), abs=1e-5)
    assert score(7, 7) == pytest.approx((q * k).sum().item(), abs=1e-5)
    assert score(3, 1) != pytest.approx(score(3, 2), abs=1e-3)
    # a rotation keeps norms
    cos, sin = rotary(torch.tensor([[5]]), torch.float32)
    assert apply_rotary(q, cos, sin).norm().item() == pytest.approx(q.norm().item(), rel=1e-5)


def test_rope_rotates_each_pair_by_its_angle():
    """Pair (x_i, x_{i+hs/2}) at position p turns by p·θ^(-2i/hs), written out one pair at a time in float64."""
    config = decoder_config()
    hs = config.head_dim
    rotary = RotaryEmbedding(config)
    positions = torch.tensor([[0, 3, 17], [5, 6, 40]])
    x = torch.randn(2, 3, 3, hs, dtype=torch.float64)  # (B, nh, T, hs)
    rotated = apply_rotary(x, *rotary(positions, torch.float64))
    expected = torch.empty_like(x)
    for b in range(2):
        for t in range(3):
            for i in range(hs // 2):
                angle = positions[b, t].item() * config.rope_theta ** (-2 * i / hs)
                c, s = math.cos(angle), math.sin(angle)
                first, second = x[b, :, t, i], x[b, :, t, i + hs // 2]
                expected[b, :, t, i] = first * c - second * s
                expected[b, :, t, i + hs // 2] = second * c + first * s
    torch.testing.assert_close(rotated, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("make, model_class", [
    (decoder_config, minformer.MinformerDecoderForCausalLM),
    (encoder_config, minformer.MinformerEncoderForMaskedLM),
])
def test_learned_positions_refuse_too_long_input(make, model_class):
    model = model_class(make(position_embedding_type="learned", max_position_embeddings=8))
    model(torch.randint(3, 97, (1, 8)))  # exactly the limit is fine
    with pytest.raises(ValueError, match=r"max_position_embeddings=8 tokens\. Truncate the input"):
        model(torch.randint(3, 97, (1, 9)))


def test_position_kinds_change_the_output():
    ids = torch.randint(3, 97, (1, 6))
    torch.manual_seed(1)
    rope = minformer.MinformerEncoderModel(encoder_config())
    out = rope(ids).last_hidden_state
    permuted = rope(ids.flip(1)).last_hidden_state.flip(1)
    assert not torch.allclose(out, permuted, atol=1e-4)  # positions matter: the encoder is not permutation-invariant
