"""BERT -> minformer encoder: same masked-LM logits and hidden states as transformers' own model."""

import pytest
import torch
from transformers import BertConfig, BertForMaskedLM

import minformer
from minformer.convert import from_bert

CONFIGS = {
    "tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64),
    "wider-gelu-new": dict(hidden_size=48, num_hidden_layers=3, num_attention_heads=6, intermediate_size=96,
                           hidden_act="gelu_new", type_vocab_size=3),
    "one-layer-relu": dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=40,
                           hidden_act="relu", layer_norm_eps=1e-7),
}


def bert(name, attn="sdpa"):
    model = BertForMaskedLM(BertConfig(vocab_size=103, max_position_embeddings=40, **CONFIGS[name])).eval()
    with torch.no_grad():
        for name_, p in model.named_parameters():
            if "LayerNorm" in name_ or "bias" in name_:
                p.add_(0.1 * torch.randn_like(p))
    model.set_attn_implementation(attn)
    return model


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_same_mlm_logits_with_and_without_padding(name, attn):
    reference = bert(name, attn)
    model = from_bert(reference)
    assert isinstance(model, minformer.MinformerEncoderForMaskedLM)
    ids = torch.randint(1, 103, (3, 11))
    types = torch.randint(0, reference.config.type_vocab_size, ids.shape)
    for mask in (None, torch.tensor([[1] * 11, [1] * 7 + [0] * 4, [1] * 2 + [0] * 9])):
        expected = reference(ids, attention_mask=mask, token_type_ids=types, output_hidden_states=True)
        actual = model(ids, attention_mask=mask, token_type_ids=types, output_hidden_states=True)
        keep = mask.bool() if mask is not None else torch.ones_like(ids, dtype=torch.bool)
        torch.testing.assert_close(actual.logits[keep], expected.logits[keep], atol=1e-5, rtol=0)
        for ours, theirs in zip(actual.hidden_states, expected.hidden_states, strict=True):
            torch.testing.assert_close(ours[keep], theirs[keep], atol=1e-5, rtol=0)


def test_converted_weights_are_tied_and_save_load(tmp_path):
    model = from_bert(bert("tiny"))
    assert model.lm_head.decoder.weight is model.get_input_embeddings().weight
    model.save_pretrained(tmp_path)
    loaded = minformer.MinformerEncoderForMaskedLM.from_pretrained(tmp_path).eval()
    ids = torch.randint(1, 103, (2, 9))
    torch.testing.assert_close(loaded(ids).logits, model(ids).logits, atol=0, rtol=0)


def test_relative_position_bert_is_refused():
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, position_embedding_type="relative_key")
    with pytest.raises(ValueError, match="position_embedding_type='relative_key'"):
        from_bert(BertForMaskedLM(config))
