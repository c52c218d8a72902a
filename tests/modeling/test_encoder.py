"""The bidirectional encoder and its heads: padding invariance, losses, tied weights."""

import pytest
import torch

import minformer
from tests.conftest import VARIANTS, encoder_config


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_padding_does_not_change_other_tokens(variant):
    model = minformer.MinformerEncoderModel(encoder_config(**VARIANTS[variant])).eval()
    ids = torch.randint(3, 97, (1, 6))
    alone = model(ids).last_hidden_state
    padded_ids = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    padded_ids[0, 6:] = torch.randint(3, 97, (4,))  # whatever sits under the padding must not matter
    mask = torch.tensor([[1] * 6 + [0] * 4])
    padded = model(padded_ids, attention_mask=mask).last_hidden_state
    torch.testing.assert_close(padded[:, :6], alone, atol=1e-5, rtol=0)


def test_every_token_sees_the_whole_sequence():
    model = minformer.MinformerEncoderModel(encoder_config()).eval()
    ids = torch.randint(3, 97, (1, 6))
    changed = ids.clone()
    changed[0, 5] = (ids[0, 5] + 1) % 97
    assert not torch.allclose(model(ids).last_hidden_state[:, 0], model(changed).last_hidden_state[:, 0], atol=1e-5)


def test_masked_lm_loss_ignores_unmasked_positions_and_ties_weights():
    model = minformer.MinformerEncoderForMaskedLM(encoder_config()).eval()
    assert model.lm_head.decoder.weight is model.get_input_embeddings().weight
    assert model.get_output_embeddings() is model.lm_head.decoder
    ids = torch.randint(3, 97, (2, 8))
    labels = torch.full_like(ids, -100)
    labels[0, 2], labels[1, 5] = 11, 12
    out = model(ids, labels=labels)
    expected = torch.nn.functional.cross_entropy(out.logits[[0, 1], [2, 5]], torch.tensor([11, 12]))
    torch.testing.assert_close(out.loss, expected)
    model.resize_token_embeddings(100)
    assert model.lm_head.decoder.weight is model.get_input_embeddings().weight
    assert model.lm_head.decoder.bias.shape == (100,)


def test_sparse_prediction_gives_the_dense_loss_and_gradients_on_masked_positions_only():
    torch.manual_seed(0)
    dense = minformer.MinformerEncoderForMaskedLM(encoder_config()).train()
    sparse = minformer.MinformerEncoderForMaskedLM(encoder_config(sparse_prediction=True)).train()
    sparse.load_state_dict(dense.state_dict())
    ids = torch.randint(3, 97, (3, 9))
    labels = torch.full_like(ids, -100)
    masked = torch.rand(ids.shape) < 0.3
    masked[0, 0] = True
    labels[masked] = ids[masked]
    dense_out, sparse_out = dense(ids, labels=labels), sparse(ids, labels=labels)
    assert sparse_out.logits.shape == (int(masked.sum()), 97)
    torch.testing.assert_close(sparse_out.logits, dense_out.logits[masked], atol=1e-5, rtol=0)
    torch.testing.assert_close(sparse_out.loss, dense_out.loss, atol=1e-6, rtol=0)
    dense_out.loss.backward()
    sparse_out.loss.backward()
    for (name, a), b in zip(dense.named_parameters(), sparse.parameters()):
        torch.testing.assert_close(b.grad, a.grad, atol=1e-6, rtol=0, msg=name)
    # without labels (inference, fill-mask) every position is predicted, as in the dense model
    torch.testing.assert_close(sparse(ids).logits, dense(ids).logits)


def test_sequence_classification_pools_the_first_token():
    model = minformer.MinformerEncoderForSequenceClassification(encoder_config(num_labels=3)).eval()
    ids = torch.randint(3, 97, (4, 7))
    labels = torch.tensor([0, 2, 1, 2])
    out = model(ids, labels=labels)
    assert out.logits.shape == (4, 3)
    torch.testing.assert_close(out.loss, torch.nn.functional.cross_entropy(out.logits, labels))
    hidden = model.model(ids).last_hidden_state
    torch.testing.assert_close(out.logits, model.classifier(hidden))
    regression = minformer.MinformerEncoderForSequenceClassification(encoder_config(num_labels=1)).eval()
    target = torch.randn(4)
    out = regression(ids, labels=target)
    torch.testing.assert_close(out.loss, torch.nn.functional.mse_loss(out.logits.squeeze(-1), target))


def test_token_classification_loss_and_shapes():
    model = minformer.MinformerEncoderForTokenClassification(encoder_config(num_labels=5)).eval()
    ids = torch.randint(3, 97, (2, 6))
    labels = torch.randint(0, 5, (2, 6))
    labels[1, 4:] = -100
    out = model(ids, labels=labels)
    assert out.logits.shape == (2, 6, 5)
    keep = labels != -100
    torch.testing.assert_close(out.loss, torch.nn.functional.cross_entropy(out.logits[keep], labels[keep]))


def test_token_types_are_used_when_configured_and_refused_otherwise():
    model = minformer.MinformerEncoderModel(encoder_config(type_vocab_size=2)).eval()
    ids = torch.randint(3, 97, (1, 6))
    segments = torch.tensor([[0, 0, 0, 1, 1, 1]])
    assert not torch.allclose(model(ids).last_hidden_state, model(ids, token_type_ids=segments).last_hidden_state)
    plain = minformer.MinformerEncoderModel(encoder_config())
    with pytest.raises(ValueError, match="type_vocab_size=2"):
        plain(ids, token_type_ids=segments)
    plain(ids, token_type_ids=torch.zeros_like(ids))  # all-zero types, as tokenizers emit, are harmless
