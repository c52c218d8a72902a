"""The models trace: `torch.compile(fullgraph=True)` and ONNX export (`torch.onnx.export(dynamo=True)`, run with
onnxruntime) give the eager model's logits, for both families, with learned and rotary positions and padding."""

import pytest
import torch

import minformer
from tests.conftest import decoder_config, encoder_config

MODELS = {
    "encoder-learned": (minformer.MinformerEncoderForMaskedLM, encoder_config, dict(position_embedding_type="learned")),
    "encoder-rope": (minformer.MinformerEncoderForSequenceClassification, encoder_config, {}),
    "decoder-learned": (minformer.MinformerDecoderForCausalLM, decoder_config, dict(position_embedding_type="learned")),
    "decoder-rope": (minformer.MinformerDecoderForCausalLM, decoder_config, {}),
}


class LogitsOf(torch.nn.Module):
    """The model as a function of tensors only (no cache object in the outputs), as exporters want it."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.options = {"use_cache": False} if model.config.model_type == "minformer_decoder" else {}

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **self.options).logits


def inputs():
    ids = torch.randint(3, 97, (2, 12))
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0  # the second row is padded
    return ids, mask


def at_real_tokens(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-token logits at the real tokens: a traced graph takes the encoder's padded path, whose states at padding
    positions are not the eager padding-free path's zeros (modeling/unpadding.py); no head reads them."""
    return logits[mask.bool()] if logits.dim() == 3 else logits


def build(name, attn_implementation="sdpa"):
    model_class, make_config, overrides = MODELS[name]
    return LogitsOf(model_class(make_config(**overrides, attn_implementation=attn_implementation))).eval()


@pytest.mark.parametrize("name", MODELS)
def test_fullgraph_compile_matches_eager(name):
    model = build(name)
    ids, mask = inputs()
    with torch.no_grad():
        expected = model(ids, mask)
        torch._dynamo.reset()
        compiled = torch.compile(model, fullgraph=True)(ids, mask)
    # what `_can_compile_fullgraph` declares
    torch.testing.assert_close(at_real_tokens(compiled, mask), at_real_tokens(expected, mask), rtol=0, atol=1e-5)


def test_chunked_backend_compiles_fullgraph():
    model = build("decoder-learned", attn_implementation="chunked")
    model.model.config.attention_query_chunk_size = model.model.config.attention_key_chunk_size = 4  # 3×3 tiles
    ids, mask = inputs()
    with torch.no_grad():
        expected = build("decoder-learned", attn_implementation="eager").model
        expected.load_state_dict(model.model.state_dict())
        expected = LogitsOf(expected.eval())(ids, mask)
        torch._dynamo.reset()
        compiled = torch.compile(model, fullgraph=True)(ids, mask)
    torch.testing.assert_close(compiled[mask.bool()], expected[mask.bool()], rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["encoder-learned", "decoder-learned", "decoder-rope"])
def test_onnx_export_runs_in_onnxruntime(name, tmp_path):
    pytest.importorskip("onnx"), pytest.importorskip("onnxscript")  # torch.onnx.export(dynamo=True) needs both
    onnxruntime = pytest.importorskip("onnxruntime")
    model = build(name)
    ids, mask = inputs()
    with torch.no_grad():
        expected = model(ids, mask)
    path = tmp_path / "model.onnx"
    torch.onnx.export(model, (ids, mask), path, dynamo=True, input_names=["input_ids", "attention_mask"],
                      output_names=["logits"])
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (logits,) = session.run(["logits"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
    torch.testing.assert_close(at_real_tokens(torch.from_numpy(logits), mask), at_real_tokens(expected, mask),
                               rtol=0, atol=1e-4)


def test_eager_mode_still_names_the_position_limit():
    model = build("encoder-learned").model
    with pytest.raises(ValueError, match="max_position_embeddings=64"):
        model(torch.zeros(1, 65, dtype=torch.long))
