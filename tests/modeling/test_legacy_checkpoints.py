"""Model folders saved by minformer before the residual/heads/output-capturing redesign (commit ea11edf) load with no
missing or unexpected weights, compute the outputs they computed then, keep their weights tied, and save again with
exactly the same state-dict keys.

Each folder under legacy_checkpoints/ holds what `save_pretrained` wrote then, plus expected_outputs.safetensors: the
inputs and the logits, hidden states and attention maps (eager backend) that the old code returned for them.
"""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import (
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

import minformer

LEGACY = Path(__file__).parent / "legacy_checkpoints"
FOLDERS = {
    "decoder_causal_lm_cross_attention": (AutoModelForCausalLM, minformer.MinformerDecoderForCausalLM),
    "decoder_sequence_classification": (AutoModelForSequenceClassification,
                                        minformer.MinformerDecoderForSequenceClassification),
    "encoder_masked_lm": (AutoModelForMaskedLM, minformer.MinformerEncoderForMaskedLM),
    "encoder_sequence_classification": (AutoModelForSequenceClassification,
                                        minformer.MinformerEncoderForSequenceClassification),
    "encoder_token_classification": (AutoModelForTokenClassification, minformer.MinformerEncoderForTokenClassification),
}


def _recorded(expected: dict, name: str) -> list[torch.Tensor]:
    return [expected[f"{name}.{i}"] for i in range(sum(key.startswith(f"{name}.") for key in expected))]


@pytest.mark.parametrize("folder", list(FOLDERS))
def test_old_folder_loads_and_computes_what_it_computed(folder, tmp_path):
    auto_class, model_class = FOLDERS[folder]
    model, info = auto_class.from_pretrained(LEGACY / folder, attn_implementation="eager", output_loading_info=True)
    assert type(model) is model_class
    assert not any(info[kind] for kind in ("missing_keys", "unexpected_keys", "mismatched_keys")), info
    expected = load_file(LEGACY / folder / "expected_outputs.safetensors")
    inputs = dict(attention_mask=expected["attention_mask"], output_hidden_states=True, output_attentions=True)
    if "encoder_hidden_states" in expected:
        inputs.update(encoder_hidden_states=expected["encoder_hidden_states"], use_cache=False,
                      encoder_attention_mask=expected["encoder_attention_mask"])
    with torch.no_grad():
        out = model.eval()(expected["input_ids"], **inputs)
    # 1e-6: the old code itself reproduces its saved logits only to ~1e-8 (float32 matmul order)
    torch.testing.assert_close(out.logits, expected["logits"], atol=1e-6, rtol=0)
    for name in ("hidden_states", "attentions", "cross_attentions"):
        recorded = _recorded(expected, name)
        if recorded:
            assert len(getattr(out, name)) == len(recorded), name
            for got, want in zip(getattr(out, name), recorded):
                torch.testing.assert_close(got, want, atol=1e-6, rtol=0, msg=name)
    for target, source in (model._tied_weights_keys or {}).items():
        assert model.get_parameter(target) is model.get_parameter(source)
    model.save_pretrained(tmp_path)
    assert load_file(tmp_path / "model.safetensors").keys() == load_file(LEGACY / folder / "model.safetensors").keys()
