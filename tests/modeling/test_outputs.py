"""Hidden states and attention maps, recorded by transformers' output capturing (`_can_record_outputs`), against
the residual stream and the softmax weights computed by hand from the blocks' own weights.

hidden_states: the embeddings' output, then each block's output, the last one after the final norm (as
transformers' models); attentions / cross_attentions: softmax(q·kᵀ/√hs + mask) of every layer.
"""

import pytest
import torch

import minformer
from minformer.modeling.positions import apply_rotary
from tests.conftest import VARIANTS, decoder_config, encoder_config


def attend(attention, queries_from, keys_from, angles, allowed):
    """One attention sublayer by hand: (output (B, T, C), weights (B, nh, T, S))."""
    B, T, C = queries_from.shape
    nh, hs = attention.num_heads, attention.head_dim

    def heads(x):  # (B, T, C) -> (B, nh, T, hs)
        return x.reshape(x.shape[0], x.shape[1], nh, hs).transpose(1, 2)

    # the per-head query/key norms are identities unless qk_norm (their formula: test_recipe_components.py)
    q = attention.q_norm(heads(attention.q_proj(queries_from)))
    k, v = attention.k_norm(heads(attention.k_proj(keys_from))), heads(attention.v_proj(keys_from))
    if angles is not None:
        q, k = apply_rotary(q, *angles), apply_rotary(k, *angles)
    scores = (q @ k.transpose(-1, -2)) / hs**0.5
    weights = scores.masked_fill(~allowed, float("-inf")).softmax(-1)
    return attention.o_proj((weights @ v).transpose(1, 2).reshape(B, T, C)), weights


def by_hand(model, ids, mask, memory=None, memory_mask=None):
    """The residual stream and attention maps of a base model, written out sublayer by sublayer."""
    pre = model.config.norm_position == "pre"
    T = ids.shape[1]
    hidden, angles = model.embeddings(torch.arange(T)[None], ids)
    allowed = mask.bool()[:, None, None, :].expand(-1, 1, T, T)
    if model.config.is_decoder:
        allowed = allowed & torch.ones(T, T, dtype=torch.bool).tril()
    states, maps, cross_maps = [hidden], [], []

    def residual(x, norm, sublayer):  # pre-norm: x + f(norm(x)); post-norm: norm(x + f(x))
        return x + sublayer(norm(x)) if pre else norm(x + sublayer(x))

    for block in model.stack.layers:
        def self_attention(x, block=block):
            out, weights = attend(block.self_attn, x, x, angles, allowed)
            maps.append(weights)
            return out

        def cross_attention(x, block=block):
            visible = memory_mask.bool()[:, None, None, :].expand(-1, 1, T, -1)
            out, weights = attend(block.cross_attn, x, memory, None, visible)
            cross_maps.append(weights)
            return out

        hidden = residual(hidden, block.self_attn_residual.norm, self_attention)
        if memory is not None:
            hidden = residual(hidden, block.cross_attn_residual.norm, cross_attention)
        hidden = residual(hidden, block.mlp_residual.norm, block.mlp)
        states.append(hidden)
    states[-1] = model.stack.final_norm(states[-1])
    return states, maps, cross_maps


def check(recorded, expected):
    assert len(recorded) == len(expected)
    for got, want in zip(recorded, expected):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("family", ["encoder", "decoder"])
def test_recorded_states_and_maps_equal_the_hand_computation(family, variant):
    make, model_class = {"encoder": (encoder_config, minformer.MinformerEncoderModel),
                         "decoder": (decoder_config, minformer.MinformerDecoderModel)}[family]
    model = model_class(make(**VARIANTS[variant], num_hidden_layers=3)).eval()
    model.set_attn_implementation("eager")
    ids = torch.randint(3, 97, (2, 7))
    mask = torch.tensor([[1] * 7, [1] * 5 + [0] * 2])
    with torch.no_grad():
        out = model(ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
        states, maps, _ = by_hand(model, ids, mask)
    check(out.hidden_states, states)
    torch.testing.assert_close(out.hidden_states[-1], out.last_hidden_state, atol=0, rtol=0)
    keep = mask.bool()[:, None, :, None].expand(-1, model.config.num_attention_heads, -1, 7)  # real query rows
    check([a[keep] for a in out.attentions], [m[keep] for m in maps])
    with torch.no_grad():  # nothing is recorded unless asked for
        plain = model(ids, attention_mask=mask)
    assert plain.hidden_states is None and plain.attentions is None


@pytest.mark.parametrize("norm_position", ["pre", "post"])
def test_recorded_cross_attentions_equal_the_hand_computation(norm_position):
    lm = minformer.MinformerDecoderForCausalLM(decoder_config(add_cross_attention=True,
                                                              norm_position=norm_position)).eval()
    lm.set_attn_implementation("eager")
    ids, memory = torch.randint(3, 97, (2, 6)), torch.randn(2, 4, 32)
    mask, memory_mask = torch.ones(2, 6, dtype=torch.long), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    with torch.no_grad():
        out = lm(ids, attention_mask=mask, encoder_hidden_states=memory, encoder_attention_mask=memory_mask,
                 use_cache=False, output_hidden_states=True, output_attentions=True)
        states, maps, cross_maps = by_hand(lm.model, ids, mask, memory, memory_mask)
    check(out.hidden_states, states)
    check(out.attentions, maps)
    check(out.cross_attentions, cross_maps)
    torch.testing.assert_close(out.logits, lm.lm_head(states[-1]), atol=1e-5, rtol=0)


def test_heads_pass_the_output_flags_through_to_the_base_model():
    """The task models forward `**kwargs` to the base model, so its recorded outputs reach every head's output."""
    ids = torch.randint(3, 97, (2, 5))
    for model in (minformer.MinformerEncoderForMaskedLM(encoder_config()),
                  minformer.MinformerEncoderForSequenceClassification(encoder_config(num_labels=2)),
                  minformer.MinformerEncoderForTokenClassification(encoder_config(num_labels=2)),
                  minformer.MinformerDecoderForCausalLM(decoder_config()),
                  minformer.MinformerDecoderForSequenceClassification(decoder_config(num_labels=2))):
        model.eval().set_attn_implementation("eager")
        out = model(ids, output_hidden_states=True, output_attentions=True)
        expected = model.base_model(ids, output_hidden_states=True, output_attentions=True)
        check(out.hidden_states, expected.hidden_states)
        check(out.attentions, expected.attentions)
