"""The training recipe's optional components, each against its formula computed by hand in float64: QK-norm, ReLU²,
zero-initialised residual projections, untied embeddings, mean pooling. (Their exactness under every attention
backend, save/load and remote code comes from the "rope-qknorm-relu2-untied" variant in tests/conftest.py.)"""

import pytest
import torch
import torch.nn.functional as F

import minformer
from tests.conftest import decoder_config, encoder_config

LANGUAGE_MODELS = {"decoder": (minformer.MinformerDecoderForCausalLM, decoder_config),
                   "encoder": (minformer.MinformerEncoderForMaskedLM, encoder_config)}


def test_qk_norm_is_rmsnorm_of_each_heads_queries_and_keys_before_the_dot_product():
    model = minformer.MinformerDecoderModel(decoder_config(qk_norm=True, position_embedding_type="learned",
                                                           attn_implementation="eager")).double().eval()
    attention = model.stack.layers[0].self_attn
    with torch.no_grad():
        attention.q_norm.weight.uniform_(0.5, 1.5)
        attention.k_norm.weight.uniform_(0.5, 1.5)
    x = torch.randn(2, 7, 32, dtype=torch.float64)
    nh, hs = 4, 8

    def heads(projection, norm):
        h = projection(x).view(2, 7, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        return h / h.pow(2).mean(-1, keepdim=True).add(model.config.layer_norm_eps).sqrt() * norm.weight

    q, k = heads(attention.q_proj, attention.q_norm), heads(attention.k_proj, attention.k_norm)
    v = attention.v_proj(x).view(2, 7, nh, hs).transpose(1, 2)
    causal = torch.ones(7, 7, dtype=torch.bool).tril()
    weights = torch.softmax((q @ k.transpose(-1, -2) / hs**0.5).masked_fill(~causal, float("-inf")), -1)
    expected = attention.o_proj((weights @ v).transpose(1, 2).reshape(2, 7, 32))
    with torch.no_grad():
        actual, maps = attention(x, attention_mask=causal[None, None])
    # eager takes its softmax in float32 (as transformers' models do): float32 accuracy, not float64's
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(maps, weights, rtol=0, atol=1e-6)


def test_relu2_is_the_square_of_relu():
    mlp = minformer.MinformerDecoderModel(decoder_config(hidden_act="relu2")).double().stack.layers[0].mlp
    x = torch.randn(3, 5, 32, dtype=torch.float64)
    torch.testing.assert_close(mlp(x), mlp.down_proj(F.relu(mlp.up_proj(x)) ** 2), rtol=0, atol=1e-12)


@pytest.mark.parametrize("family", LANGUAGE_MODELS)
def test_zero_init_residual_starts_every_block_as_the_identity_and_then_trains(family):
    model_class, make_config = LANGUAGE_MODELS[family]
    model = model_class(make_config(zero_init_residual=True))
    projections = [layer.self_attn.o_proj.weight for layer in model.model.stack.layers] + [
        layer.mlp.down_proj.weight for layer in model.model.stack.layers]
    assert all(torch.count_nonzero(weight) == 0 for weight in projections)
    ids = torch.randint(3, 97, (2, 10))
    outputs = model.model(ids, output_hidden_states=True).hidden_states
    for before, after in zip(outputs[:-2], outputs[1:-1]):  # each block adds nothing to the residual stream
        torch.testing.assert_close(after, before, rtol=0, atol=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(3):
        loss = model(ids, labels=ids).loss
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert all(torch.count_nonzero(weight) > 0 for weight in projections) and losses[-1] < losses[0]
    # the default stays GPT-2's scaled normal initialisation
    default = model_class(make_config())
    assert default.model.stack.layers[0].self_attn.o_proj.weight.std() > 0


def test_untied_head_is_its_own_matrix_and_survives_save_and_load(tmp_path):
    model = minformer.MinformerDecoderForCausalLM(decoder_config(tie_word_embeddings=False))
    assert model.lm_head.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr()
    assert not torch.equal(model.lm_head.weight, model.get_input_embeddings().weight)
    model.save_pretrained(tmp_path)
    loaded = minformer.MinformerDecoderForCausalLM.from_pretrained(tmp_path)
    assert torch.equal(loaded.lm_head.weight, model.lm_head.weight)
    assert torch.equal(loaded.get_input_embeddings().weight, model.get_input_embeddings().weight)
    assert loaded.lm_head.weight.data_ptr() != loaded.get_input_embeddings().weight.data_ptr()


def test_mean_pooling_classifies_the_mean_of_the_real_tokens_whatever_the_padding():
    config = encoder_config(classifier_pooling="mean", num_labels=3, position_embedding_type="rope")
    model = minformer.MinformerEncoderForSequenceClassification(config).double().eval()
    ids = torch.randint(3, 97, (1, 6))
    padded, mask = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], 1), torch.tensor([[1] * 6 + [0] * 4])
    with torch.no_grad():
        states = model.model(ids).last_hidden_state  # (1, 6, C)
        head = model.classifier
        expected = head.out_proj(torch.tanh(head.dense(states.mean(1))))
        torch.testing.assert_close(model(ids).logits, expected, rtol=0, atol=1e-12)
        torch.testing.assert_close(model(padded, attention_mask=mask).logits, expected, rtol=0, atol=1e-12)
        cls = minformer.MinformerEncoderForSequenceClassification(encoder_config(num_labels=3)).double().eval()
        torch.testing.assert_close(cls(ids).logits, cls.classifier.out_proj(torch.tanh(cls.classifier.dense(
            cls.model(ids).last_hidden_state[:, 0]))), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="unknown classifier_pooling='max'; use 'cls' or 'mean'"):
        encoder_config(classifier_pooling="max")
