"""The encoder–decoder transformer: minformer encoder + decoder in transformers' EncoderDecoderModel."""

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, EncoderDecoderModel, pipeline

import minformer
from minformer.tokenization import for_family, train_bpe
from minformer.training.seq2seq_model import configure_for_generation, seq2seq_from_configs, seq2seq_from_pretrained

TEXTS = ["Return the number of items", "items of number the Return", "Create a new loop", "loop new a Create"] * 10


@pytest.fixture(scope="module")
def tokenizer():
    return for_family(train_bpe(TEXTS, vocab_size=300, min_frequency=1, show_progress=False), "encoder")


def configs(tokenizer, encoder_width=32, decoder_width=32):
    special = dict(pad_token_id=0, bos_token_id=2, eos_token_id=3)
    encoder = minformer.MinformerEncoderConfig(vocab_size=len(tokenizer), hidden_size=encoder_width,
                                               num_hidden_layers=2, num_attention_heads=2, **special)
    decoder = minformer.MinformerDecoderConfig(vocab_size=len(tokenizer), hidden_size=decoder_width,
                                               num_hidden_layers=2, num_attention_heads=2, **special)
    return encoder, decoder


def batch(tokenizer):
    inputs = tokenizer(["Return the number of items", "Create a new loop"], return_tensors="pt", padding=True)
    labels = tokenizer(["items of number the Return", "loop new a Create"], add_special_tokens=False, padding=True,
                       return_tensors="pt")["input_ids"]
    return inputs, labels.masked_fill(labels == 0, -100)


def test_one_training_step_reduces_the_loss(tokenizer):
    model = seq2seq_from_configs(*configs(tokenizer), tokenizer).train()
    inputs, labels = batch(tokenizer)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    before = model(**inputs, labels=labels).loss
    before.backward()
    assert model.decoder.model.stack.layers[0].cross_attn.q_proj.weight.grad.abs().sum() > 0  # cross-attention learns
    optimizer.step()
    assert model(**inputs, labels=labels).loss < before


def test_cached_and_uncached_generation_are_identical(tokenizer):
    model = seq2seq_from_configs(*configs(tokenizer), tokenizer).eval()
    inputs, _ = batch(tokenizer)
    cached = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    uncached = model.generate(**inputs, max_new_tokens=8, do_sample=False, use_cache=False)
    assert torch.equal(cached, uncached) and cached[0, 0] == tokenizer.bos_token_id


def test_save_load_gives_identical_outputs(tokenizer, tmp_path):
    model = seq2seq_from_configs(*configs(tokenizer), tokenizer).eval()
    inputs, labels = batch(tokenizer)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    for loader in (EncoderDecoderModel, AutoModelForSeq2SeqLM):
        loaded = loader.from_pretrained(tmp_path).eval()
        torch.testing.assert_close(loaded(**inputs, labels=labels).logits, model(**inputs, labels=labels).logits,
                                   atol=0, rtol=0)
        assert loaded.generation_config.decoder_start_token_id == tokenizer.bos_token_id
    translate = pipeline("seq2seq-generation", model=str(tmp_path))
    expected = model.generate(**tokenizer("Create a new loop", return_tensors="pt"), max_new_tokens=6)
    assert translate("Create a new loop", max_new_tokens=6)[0]["generated_text"] == tokenizer.decode(
        expected[0], skip_special_tokens=True).strip()


def test_cross_attention_weights_on_eager(tokenizer):
    model = seq2seq_from_configs(*configs(tokenizer), tokenizer).eval()
    model.encoder.set_attn_implementation("eager")
    model.decoder.set_attn_implementation("eager")
    inputs, labels = batch(tokenizer)
    out = model(**inputs, labels=labels, output_attentions=True)
    T, S = labels.shape[1], inputs["input_ids"].shape[1]
    assert len(out.cross_attentions) == 2 and out.cross_attentions[0].shape == (2, 2, T, S)
    padded_source = inputs["attention_mask"][1] == 0
    assert out.cross_attentions[0][1][..., padded_source].abs().max() == 0  # padding gets no attention
    torch.testing.assert_close(out.cross_attentions[0].sum(-1), torch.ones(2, 2, T))


def test_mismatched_widths_get_a_projection(tokenizer):
    model = seq2seq_from_configs(*configs(tokenizer, encoder_width=48, decoder_width=32), tokenizer).eval()
    assert model.enc_to_dec_proj.in_features == 48 and model.enc_to_dec_proj.out_features == 32
    inputs, labels = batch(tokenizer)
    assert model(**inputs, labels=labels).loss.isfinite()


def test_warm_start_from_two_pretrained_checkpoints(tokenizer, tmp_path):
    encoder_config, decoder_config = configs(tokenizer)
    encoder = minformer.MinformerEncoderModel(encoder_config)
    decoder = minformer.MinformerDecoderForCausalLM(decoder_config)
    encoder.save_pretrained(tmp_path / "encoder")
    decoder.save_pretrained(tmp_path / "decoder")
    model = seq2seq_from_pretrained(str(tmp_path / "encoder"), str(tmp_path / "decoder"), tokenizer)
    assert model.decoder.config.add_cross_attention and model.decoder.model.stack.layers[0].cross_attn is not None
    torch.testing.assert_close(model.encoder.embeddings.embed_tokens.weight, encoder.embeddings.embed_tokens.weight)
    torch.testing.assert_close(model.decoder.lm_head.weight, decoder.lm_head.weight)


def test_missing_decoder_start_token_is_a_clear_error(tokenizer):
    model = EncoderDecoderModel(encoder=minformer.MinformerEncoderModel(configs(tokenizer)[0]),
                                decoder=minformer.MinformerDecoderForCausalLM(
                                    minformer.MinformerDecoderConfig(**{**configs(tokenizer)[1].to_dict(),
                                                                        "add_cross_attention": True})))
    inputs, labels = batch(tokenizer)
    with pytest.raises(ValueError, match="decoder_start_token_id"):
        model(**inputs, labels=labels)
    no_bos = for_family(train_bpe(TEXTS, vocab_size=300, min_frequency=1, show_progress=False), "encoder")
    no_bos.bos_token = None
    with pytest.raises(ValueError, match="has no token for decoder_start_token_id.*use a minformer tokenizer"):
        configure_for_generation(model, no_bos)
