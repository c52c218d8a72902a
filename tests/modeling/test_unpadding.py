"""Padding-free encoding (modeling/unpadding.py): a padded batch's real tokens give the padded computation's logits
and gradients, for every head, backend and architecture variant, and the padded path is kept where it must be."""

import copy

import pytest
import torch

import minformer
from minformer.modeling import unpadding
from tests.conftest import VARIANTS, encoder_config

HEADS = {
    "masked LM": (minformer.MinformerEncoderForMaskedLM, lambda ids: torch.where(ids % 3 == 0, ids, -100)),
    "sequence classification": (minformer.MinformerEncoderForSequenceClassification,
                                lambda ids: torch.tensor([0, 2, 1, 1])),
    "token classification": (minformer.MinformerEncoderForTokenClassification, lambda ids: ids % 3),
}


def padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Four texts of 9, 5, 2 and 7 tokens, right-padded to 9, as encoders' tokenizers pad."""
    ids = torch.randint(3, 97, (4, 9))
    mask = torch.ones(4, 9, dtype=torch.long)
    mask[1, 5:], mask[2, 2:], mask[3, 7:] = 0, 0, 0
    return ids, mask


@pytest.fixture
def count_unpadded(monkeypatch):
    """How many forwards took the padding-free path."""
    calls = []
    original = unpadding.Unpadding.of.__func__

    def counted(cls, attention_mask):
        calls.append(attention_mask.shape)
        return original(cls, attention_mask)

    monkeypatch.setattr(unpadding.Unpadding, "of", classmethod(counted))
    return calls


@pytest.mark.parametrize("backend", ["eager", "sdpa", "chunked"])
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("head", list(HEADS))
def test_padding_free_equals_padded_at_the_real_tokens(head, variant, backend, count_unpadded):
    model_class, make_labels = HEADS[head]
    config = encoder_config(**VARIANTS[variant], num_labels=3, hidden_dropout_prob=0.0, attention_dropout=0.0,
                            attention_query_chunk_size=4, attention_key_chunk_size=3)
    unpadded = model_class(config)
    unpadded.set_attn_implementation(backend)
    padded = copy.deepcopy(unpadded)
    padded.config.padding_free = False
    ids, mask = padded_batch()
    labels = make_labels(ids).masked_fill(mask == 0, -100) if head != "sequence classification" else make_labels(ids)
    fast, reference = (model(ids, attention_mask=mask, labels=labels) for model in (unpadded, padded))
    assert len(count_unpadded) == 1, "the padded batch did not take the padding-free path"
    real = mask.bool() if fast.logits.dim() == 3 else slice(None)  # per-token logits: at the real tokens
    torch.testing.assert_close(fast.logits[real], reference.logits[real], atol=1e-5, rtol=0)
    torch.testing.assert_close(fast.loss, reference.loss, atol=1e-6, rtol=0)
    fast.loss.backward()
    reference.loss.backward()
    for (name, a), b in zip(unpadded.named_parameters(), padded.parameters(), strict=True):
        if a.grad is not None or b.grad is not None:
            torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-5, msg=name)


def test_padding_positions_hold_zeros_and_real_ones_match():
    model = minformer.MinformerEncoderModel(encoder_config()).eval()
    ids, mask = padded_batch()
    states = model(ids, attention_mask=mask).last_hidden_state  # (B, T, C)
    model.config.padding_free = False
    reference = model(ids, attention_mask=mask).last_hidden_state
    assert torch.equal(states[mask == 0], torch.zeros_like(states[mask == 0]))
    torch.testing.assert_close(states[mask == 1], reference[mask == 1], atol=1e-6, rtol=0)


@pytest.mark.parametrize("case", ["no padding", "hidden states asked for", "attention maps asked for", "turned off",
                                  "no mask", "left padding"])
def test_the_padded_path_is_kept_where_unpadding_cannot_apply(case, count_unpadded):
    model = minformer.MinformerEncoderModel(encoder_config(padding_free=case != "turned off")).eval()
    ids, mask = padded_batch()
    options = {"attention_mask": mask}
    if case == "no padding":
        options["attention_mask"] = torch.ones_like(mask)
    elif case == "no mask":
        options = {}
    elif case == "left padding":  # a classifier on the first token would read a padding position's state
        options["attention_mask"] = mask.flip(1)
    elif case == "hidden states asked for":
        options["output_hidden_states"] = True
    elif case == "attention maps asked for":
        model.set_attn_implementation("eager")
        options["output_attentions"] = True
    output = model(ids, **options)
    assert count_unpadded == []
    if case == "hidden states asked for":
        assert all(state.shape == (4, 9, 32) for state in output.hidden_states)


def test_padding_free_is_a_saved_config_field(tmp_path):
    model = minformer.MinformerEncoderForMaskedLM(encoder_config(padding_free=False))
    model.save_pretrained(tmp_path)
    assert minformer.MinformerEncoderForMaskedLM.from_pretrained(tmp_path).config.padding_free is False
    assert minformer.MinformerEncoderConfig().padding_free is True
