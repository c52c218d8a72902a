"""Every attention backend against a float64 reference (outputs and gradients of q, k, v), and end to end.

xformers has no CPU kernels, so its adapter runs here against a stand-in for `memory_efficient_attention` that keeps
xformers' layout, input validation (xformers' own `Inputs.validate_inputs` and the cutlass op's checks) and bias
semantics (xformers' own `materialize`), and computes the result in float64.
"""

import logging
from types import SimpleNamespace

import pytest
import torch
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, bidirectional_mask_function, causal_mask_function
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

import minformer
from tests.conftest import VARIANTS, decoder_config, encoder_config

B, NH, HS = 2, 3, 8

# name: (T queries, S keys, causal, padding of the keys: None | "left" | "right")
CASES = {
    "causal": (13, 13, True, None),
    "causal-left-padded": (13, 13, True, "left"),
    "bidirectional-right-padded": (11, 11, False, "right"),
    "bidirectional": (9, 9, False, None),
    "kv-cache-prefill": (3, 12, True, "left"),
    "kv-cache-prefill-unpadded": (4, 12, True, None),
    "kv-cache-decode": (1, 12, True, "left"),
    "cross-attention": (5, 8, False, "right"),
    "length-1": (1, 1, True, None),
}
CHUNKS = [(1, 1), (3, 5), (4, 4), (16, 7), (512, 512)]  # including sizes that do not divide the lengths


@pytest.fixture
def xformers_standin(monkeypatch):
    """Let the xformers backend run on CPU against the float64 stand-in below."""
    logging.getLogger("xformers").setLevel(logging.ERROR)
    import xformers.ops
    from xformers.ops import fmha

    def memory_efficient_attention(query, key, value, attn_bias=None, p=0.0, scale=None, *, op=None,
                                   output_dtype=None):
        inputs = fmha.Inputs(query=query, key=key, value=value, attn_bias=attn_bias, p=p, scale=scale)
        inputs.validate_inputs()  # layout (B, M, H, K), bias shape and type, as xformers checks them
        reasons = [r for r in fmha.cutlass.FwOp.not_supported_reasons(inputs)
                   if "device" not in r and "dtype" not in r and "operator wasn't built" not in r]
        assert not reasons, reasons  # e.g. a misaligned bias stride
        Bq, Mq, H, K = query.shape
        Mk = key.shape[1]
        if attn_bias is None:
            bias = torch.zeros(Bq, H, Mq, Mk, dtype=torch.float64)
        elif isinstance(attn_bias, torch.Tensor):
            assert attn_bias.shape == (Bq, H, Mq, Mk)
            bias = attn_bias.double()
        else:
            bias = attn_bias.materialize((Bq, H, Mq, Mk), dtype=torch.float64)
        scores = torch.einsum("bqhk,bshk->bhqs", query.double(), key.double()) * (scale or K**-0.5) + bias
        out = torch.einsum("bhqs,bshk->bqhk", scores.softmax(-1), value.double())
        return out.to(query.dtype)

    monkeypatch.setattr(xformers.ops, "memory_efficient_attention", memory_efficient_attention)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


def key_padding(case, S):
    padding = torch.ones(B, S, dtype=torch.bool)  # as transformers passes it to the mask functions
    if case == "left":
        padding[0, :4], padding[1, :1] = False, False
    elif case == "right":
        padding[0, S - 3:] = False
    return padding


def reference(q, k, v, causal, padding):
    """float64 softmax(q kᵀ/√hs) v with causal (bottom-right aligned) and key-padding masks written out; also the
    rows that attend to at least one key."""
    T, S = q.shape[2], k.shape[2]
    allowed = padding[:, None, None, :].bool().expand(B, 1, T, S)
    if causal:
        allowed = allowed & (torch.arange(S)[None, :] <= torch.arange(T)[:, None] + (S - T))
    scores = (q.double() @ k.double().transpose(-1, -2)) * HS**-0.5
    probs = scores.masked_fill(~allowed, float("-inf")).softmax(-1).nan_to_num(0.0)
    return (probs @ v.double()).transpose(1, 2), allowed.any(-1).transpose(1, 2)  # (B, T, nh, hs), (B, T, 1)


def run_backend(name, q, k, v, causal, padding, chunks=(512, 512)):
    T, S = q.shape[2], k.shape[2]
    mask = ALL_MASK_ATTENTION_FUNCTIONS[name](
        batch_size=B, q_length=T, kv_length=S, q_offset=S - T if causal else 0, kv_offset=0,
        mask_function=causal_mask_function if causal else bidirectional_mask_function,
        attention_mask=padding if padding is not None else None, allow_is_causal_skip=causal,
        allow_is_bidirectional_skip=not causal, dtype=torch.float32, device="cpu",
    ) if name != "eager" else ALL_MASK_ATTENTION_FUNCTIONS["eager"](
        batch_size=B, q_length=T, kv_length=S, q_offset=S - T if causal else 0,
        mask_function=causal_mask_function if causal else bidirectional_mask_function,
        attention_mask=padding, allow_is_bidirectional_skip=not causal, dtype=torch.float32,
    )
    module = torch.nn.Module()
    module.is_causal = causal
    module.config = SimpleNamespace(attention_query_chunk_size=chunks[0], attention_key_chunk_size=chunks[1])
    fn = ALL_ATTENTION_FUNCTIONS.get_interface(name, None)
    if name == "eager":
        from minformer.modeling.attention import eager_attention_forward as fn
    return fn(module, q, k, v, mask, scaling=HS**-0.5)[0]


def check_against_reference(name, case, chunks=(512, 512)):
    T, S, causal, pad = CASES[case]
    padding = key_padding(pad, S)
    q = torch.randn(B, NH, T, HS, requires_grad=True)
    k = torch.randn(B, NH, S, HS, requires_grad=True)
    v = torch.randn(B, NH, S, HS, requires_grad=True)
    expected, valid_rows = reference(q, k, v, causal, padding)
    actual = run_backend(name, q, k, v, causal, padding if pad else None, chunks)
    assert actual.shape == (B, T, NH, HS)
    rows = valid_rows.expand(B, T, NH)
    torch.testing.assert_close(actual[rows].double(), expected[rows], atol=1e-5, rtol=0)
    weights = torch.randn(B, T, NH, HS) * valid_rows[..., None]  # rows that attend to nothing are padding
    grads = torch.autograd.grad((actual * weights).sum(), (q, k, v))
    grads_expected = torch.autograd.grad((expected * weights.double()).sum(), (q, k, v))
    for got, want, which in zip(grads, grads_expected, "qkv"):
        assert (got.double() - want).abs().max() <= 1e-5, f"d{which}: {(got.double() - want).abs().max():.3g}"


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", ["eager", "sdpa"])
def test_builtin_backends_match_float64(name, case):
    check_against_reference(name, case)


@pytest.mark.parametrize("chunks", CHUNKS, ids=lambda c: f"q{c[0]}-k{c[1]}")
@pytest.mark.parametrize("case", list(CASES))
def test_chunked_matches_float64(case, chunks):
    check_against_reference("chunked", case, chunks)


@pytest.mark.parametrize("chunks", CHUNKS, ids=lambda c: f"q{c[0]}-k{c[1]}")
@pytest.mark.parametrize("case", list(CASES))
def test_chunked_tiles_are_the_mask_function_per_tile(case, chunks):
    """The tiles the chunked mask decides from positions alone (fully allowed / fully masked, causal and padding) and
    the boolean tiles it builds are exactly transformers' dense mask, cut into tiles."""
    from minformer.modeling.attention_chunked import _chunks

    T, S, causal, pad = CASES[case]
    options = dict(batch_size=B, q_length=T, kv_length=S, q_offset=S - T if causal else 0, kv_offset=0,
                   mask_function=causal_mask_function if causal else bidirectional_mask_function,
                   attention_mask=key_padding(pad, S) if pad else None)
    mask = ALL_MASK_ATTENTION_FUNCTIONS["chunked"](**options)
    dense = ALL_MASK_ATTENTION_FUNCTIONS["sdpa"](**options, allow_is_causal_skip=False,
                                                 allow_is_bidirectional_skip=False)
    dense = dense.expand(B, 1, T, S)[:, 0]  # (B, T, S) boolean, True = attend
    if mask is None:  # nothing masked
        assert bool(dense.all())
        return
    kv_chunks = _chunks(S, chunks[1])
    keys = mask.key_chunks(kv_chunks, torch.device("cpu"))
    for batch in range(B):
        for q_start, q_end in _chunks(T, chunks[0]):
            for (kv_start, kv_end), known in zip(kv_chunks, keys[batch]):
                want = dense[batch, q_start:q_end, kv_start:kv_end]  # (Tc, Sc)
                tile = mask.tile(batch, q_start, q_end, kv_start, kv_end, torch.device("cpu"), known)
                if tile is True or tile is False:
                    assert bool((want == tile).all()), (batch, q_start, kv_start, tile)
                else:
                    assert torch.equal(tile.expand(1, *want.shape)[0], want), (batch, q_start, kv_start)


def test_chunked_evaluates_any_other_mask_function():
    """A mask function the chunked mask has no shortcut for (a sliding window) is evaluated tile by tile: the same
    outputs and gradients as eager with transformers' dense mask for that function."""
    from transformers.masking_utils import sliding_window_causal_mask_function

    T = 13
    options = dict(batch_size=B, q_length=T, kv_length=T, q_offset=0, kv_offset=0,
                   mask_function=sliding_window_causal_mask_function(4), attention_mask=key_padding("left", T))
    masks = {"chunked": ALL_MASK_ATTENTION_FUNCTIONS["chunked"](**options),
             "eager": ALL_MASK_ATTENTION_FUNCTIONS["sdpa"](**options, allow_is_causal_skip=False)}
    q, k, v = (torch.randn(B, NH, T, HS, requires_grad=True) for _ in range(3))
    module = torch.nn.Module()
    module.config = SimpleNamespace(attention_query_chunk_size=3, attention_key_chunk_size=5)
    from minformer.modeling.attention import eager_attention_forward

    rows = key_padding("left", T)[:, :, None].expand(B, T, NH)  # left padding queries attend to nothing
    results = {}
    for name, fn in (("chunked", ALL_ATTENTION_FUNCTIONS["chunked"]), ("eager", eager_attention_forward)):
        out = fn(module, q, k, v, masks[name], scaling=HS**-0.5)[0]  # (B, T, nh, hs)
        results[name] = (out, *torch.autograd.grad((out * rows[..., None]).sum(), (q, k, v)))
    torch.testing.assert_close(results["chunked"][0][rows], results["eager"][0][rows], atol=1e-5, rtol=0)
    for got, want in zip(results["chunked"][1:], results["eager"][1:]):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", ["bool", "additive"])
def test_chunked_accepts_a_dense_mask(kind):
    """A 4D mask passed by the caller (not built by `chunked_mask`) is sliced per tile."""
    T, S, causal, pad = CASES["causal-left-padded"]
    padding = key_padding(pad, S)
    allowed = padding[:, None, None, :] & (torch.arange(S)[None, :] <= torch.arange(T)[:, None])  # (B, 1, T, S)
    mask = allowed if kind == "bool" else torch.zeros(allowed.shape).masked_fill(~allowed, torch.finfo().min)
    q, k, v = torch.randn(B, NH, T, HS), torch.randn(B, NH, S, HS), torch.randn(B, NH, S, HS)
    module = torch.nn.Module()
    module.config = SimpleNamespace(attention_query_chunk_size=4, attention_key_chunk_size=3)
    actual = ALL_ATTENTION_FUNCTIONS["chunked"](module, q, k, v, mask, scaling=HS**-0.5)[0]
    expected, valid_rows = reference(q, k, v, causal, padding)
    rows = valid_rows.expand(B, T, NH)
    torch.testing.assert_close(actual[rows].double(), expected[rows], atol=1e-5, rtol=0)


def test_chunked_saves_nothing_quadratic_for_backward():
    """What the backward keeps is O(T): q, k, v, the output and the log-sum-exp (no (T, S) tile or mask)."""
    T = 64
    q, k, v = (torch.randn(1, NH, T, HS, requires_grad=True) for _ in range(3))
    module = torch.nn.Module()
    module.is_causal = True
    module.config = SimpleNamespace(attention_query_chunk_size=16, attention_key_chunk_size=16)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.numel()) or t, lambda t: t):
        ALL_ATTENTION_FUNCTIONS["chunked"](module, q, k, v, None, scaling=HS**-0.5)[0].sum().backward()
    assert saved and max(saved) <= NH * T * HS, saved


@pytest.mark.parametrize("case", list(CASES))
def test_xformers_adapter_matches_float64(case, xformers_standin):
    check_against_reference("xformers", case)


def test_chunked_refuses_attention_dropout_while_training():
    lm = minformer.MinformerDecoderForCausalLM(decoder_config(attention_dropout=0.1))
    lm.set_attn_implementation("chunked")
    lm.eval()(torch.randint(3, 97, (1, 4)))  # dropout is off in eval: fine
    with pytest.raises(ValueError, match="chunked attention backend does not implement attention dropout"):
        lm.train()(torch.randint(3, 97, (1, 4)))


def test_xformers_is_refused_here_with_the_alternatives():
    lm = minformer.MinformerDecoderForCausalLM(decoder_config())
    with pytest.raises(ImportError, match=r"cannot run here: .*CUDA.* Use one of 'eager', 'sdpa', 'chunked' instead"):
        lm.set_attn_implementation("xformers")
    assert lm.attention_backend == "sdpa"


ALL_BACKENDS = ["eager", "sdpa", "chunked", "xformers"]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_decoder_logits_and_generation_agree_across_backends(variant, xformers_standin):
    lm = minformer.MinformerDecoderForCausalLM(decoder_config(**VARIANTS[variant], attention_query_chunk_size=3,
                                                              attention_key_chunk_size=5)).eval()
    lm.generation_config.eos_token_id = None
    ids = torch.randint(3, 97, (3, 9))
    mask = torch.ones_like(ids)
    mask[0, :4], mask[2, :2] = 0, 0  # left padding, as for generation
    results = {}
    for name in ALL_BACKENDS:
        lm.set_attn_implementation(name)
        assert lm.attention_backend == name
        logits = lm(ids, attention_mask=mask).logits
        tokens = lm.generate(ids, attention_mask=mask, max_new_tokens=8, do_sample=False, pad_token_id=0)
        results[name] = (logits, tokens)
    keep = mask.bool()
    for name in ALL_BACKENDS[1:]:
        torch.testing.assert_close(results[name][0][keep], results["eager"][0][keep], atol=1e-5, rtol=0, msg=name)
        assert torch.equal(results[name][1], results["eager"][1]), name


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_encoder_mlm_logits_and_gradients_agree_across_backends(variant, xformers_standin):
    model = minformer.MinformerEncoderForMaskedLM(encoder_config(**VARIANTS[variant], attention_query_chunk_size=4,
                                                                 attention_key_chunk_size=3))
    ids = torch.randint(3, 97, (3, 10))
    mask = torch.ones_like(ids)
    mask[0, 6:] = 0
    labels = ids.masked_fill(mask == 0, -100)
    results = {}
    for name in ALL_BACKENDS:
        model.set_attn_implementation(name)
        model.zero_grad()
        out = model(ids, attention_mask=mask, labels=labels)
        out.loss.backward()
        results[name] = (out.logits.detach(), [p.grad.clone() for p in model.parameters()])
    for name in ALL_BACKENDS[1:]:
        torch.testing.assert_close(results[name][0][mask.bool()], results["eager"][0][mask.bool()], atol=1e-5,
                                   rtol=0, msg=name)
        for got, want in zip(results[name][1], results["eager"][1]):
            torch.testing.assert_close(got, want, atol=1e-5, rtol=0, msg=name)


def test_cross_attention_agrees_across_backends(xformers_standin):
    lm = minformer.MinformerDecoderForCausalLM(decoder_config(add_cross_attention=True, attention_key_chunk_size=3))
    lm.eval()
    ids, memory = torch.randint(3, 97, (2, 6)), torch.randn(2, 7, 32)
    memory_mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
    logits = {}
    for name in ALL_BACKENDS:
        lm.set_attn_implementation(name)
        logits[name] = lm(ids, encoder_hidden_states=memory, encoder_attention_mask=memory_mask).logits
    for name in ALL_BACKENDS[1:]:
        torch.testing.assert_close(logits[name], logits["eager"], atol=1e-5, rtol=0, msg=name)


@pytest.mark.parametrize("name", ["chunked", "xformers"])
def test_no_mask_means_bottom_right_causal_for_causal_modules(name, xformers_standin):
    """Given no mask (as `transformers` passes for pure causal attention), queries are the last T of S positions."""
    T, S = 4, 12
    q, k, v = torch.randn(B, NH, T, HS), torch.randn(B, NH, S, HS), torch.randn(B, NH, S, HS)
    module = torch.nn.Module()
    module.is_causal = True
    module.config = SimpleNamespace(attention_query_chunk_size=3, attention_key_chunk_size=5)
    actual = ALL_ATTENTION_FUNCTIONS.get_interface(name, None)(module, q, k, v, None, scaling=HS**-0.5)[0]
    expected, _ = reference(q, k, v, True, torch.ones(B, S, dtype=torch.bool))
    torch.testing.assert_close(actual.double(), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_flex_attention_matches_eager_in_inference(variant):
    """torch's flex_attention through transformers (`_supports_flex_attn`): the same logits as eager, padded.
    On CPU torch 2.13 has no flex_attention backward, and decoding with the cache fails in inductor's C++ code
    generation ("'cur_kvSplitSize0' was not declared", seen on AMD EPYC; LlamaForCausalLM fails the same way), so
    training and generation with flex are checked on CUDA (tests/test_device.py)."""
    torch.manual_seed(0)
    for model_class, make_config in ((minformer.MinformerDecoderForCausalLM, decoder_config),
                                     (minformer.MinformerEncoderForMaskedLM, encoder_config)):
        reference = model_class(make_config(**VARIANTS[variant], attn_implementation="eager")).eval()
        flex = model_class(make_config(**VARIANTS[variant], attn_implementation="flex_attention")).eval()
        flex.load_state_dict(reference.state_dict())
        ids = torch.randint(3, 97, (2, 12))
        mask = torch.ones_like(ids)
        mask[1, :3] = 0  # left padding
        with torch.no_grad():
            expected, actual = reference(ids, attention_mask=mask).logits, flex(ids, attention_mask=mask).logits
        torch.testing.assert_close(actual[mask.bool()], expected[mask.bool()], rtol=0, atol=1e-5)
