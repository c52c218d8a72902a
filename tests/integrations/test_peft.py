"""peft on minformer models: LoRA with peft's default targets (no `target_modules`) on both families, and prefix
tuning on the decoder, checked against the same adapters on transformers' GPT-2 with the same weights."""

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, GPT2Config, GPT2LMHeadModel

import minformer
from minformer.convert import from_gpt2
from minformer.modeling.cache_name import RENAMED
from minformer.peft_targets import register_peft_targets
from tests.conftest import decoder_config, encoder_config

peft = pytest.importorskip("peft")

IDS = torch.randint(3, 97, (2, 10), generator=torch.Generator().manual_seed(1))
MASK = torch.tensor([[1] * 10, [0] * 3 + [1] * 7])  # the second row left-padded
FAMILIES = {
    "CAUSAL_LM": (minformer.MinformerDecoderForCausalLM, decoder_config, IDS),
    "SEQ_CLS": (minformer.MinformerEncoderForSequenceClassification, encoder_config, torch.tensor([0, 2])),
}


def logits(model, **extra):
    model.eval()
    with torch.no_grad():
        return model(input_ids=IDS, attention_mask=MASK, **extra).logits


def train(model, labels, steps=5):
    """A few AdamW steps; returns the first and last loss."""
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(steps):
        loss = model(input_ids=IDS, attention_mask=MASK, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses[0], losses[-1]


def test_minformer_fills_pefts_default_target_tables():
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as lora_targets

    assert lora_targets["minformer_decoder"] == lora_targets["minformer_encoder"] == ["q_proj", "v_proj"]
    assert "TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING" in register_peft_targets()  # idempotent


@pytest.mark.parametrize("task", FAMILIES)
def test_lora_with_default_targets_trains_saves_reloads_and_merges(task, tmp_path):
    model_class, make_config, labels = FAMILIES[task]
    base = model_class(make_config(num_labels=3))
    base.save_pretrained(tmp_path / "base")
    lora = peft.get_peft_model(base, peft.LoraConfig(task_type=task, r=4, init_lora_weights=False))
    adapted = {name for name, p in lora.named_parameters() if p.requires_grad and "lora_" in name}
    assert adapted and all(".q_proj." in name or ".v_proj." in name for name in adapted)
    first, last = train(lora, labels)
    assert last < first
    expected = logits(lora)
    lora.save_pretrained(tmp_path / "adapter")

    reloaded = peft.PeftModel.from_pretrained(model_class.from_pretrained(tmp_path / "base"), tmp_path / "adapter")
    torch.testing.assert_close(logits(reloaded), expected, rtol=0, atol=1e-6)
    merged = reloaded.merge_and_unload()
    assert type(merged) is model_class and not any("lora_" in name for name, _ in merged.named_parameters())
    torch.testing.assert_close(logits(merged), expected, rtol=0, atol=1e-5)
    merged.save_pretrained(tmp_path / "merged")
    torch.testing.assert_close(logits(model_class.from_pretrained(tmp_path / "merged")), expected, rtol=0, atol=1e-5)


def gpt2_and_minformer():
    reference = GPT2LMHeadModel(GPT2Config(vocab_size=97, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                                           bos_token_id=1, eos_token_id=2)).eval()
    return reference, from_gpt2(reference)


def test_prefix_tuning_on_the_decoder_matches_gpt2_with_the_same_prefix(tmp_path):
    reference, model = gpt2_and_minformer()
    config = peft.PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4)
    ours, theirs = peft.get_peft_model(model, config), peft.get_peft_model(reference, config)
    first, last = train(ours, IDS)
    assert last < first  # the prefix reaches the attention (it was silently dropped while training before)
    theirs.prompt_encoder.load_state_dict(ours.prompt_encoder.state_dict())
    expected = logits(theirs)
    torch.testing.assert_close(logits(ours), expected, rtol=0, atol=1e-5)
    assert not torch.allclose(logits(ours.get_base_model()), expected, atol=1e-3)  # the prefix changes the output

    prompt = IDS[:1, :5]
    ours_generated = ours.generate(input_ids=prompt, max_new_tokens=6, do_sample=False)
    theirs_generated = theirs.generate(input_ids=prompt, max_new_tokens=6, do_sample=False)
    assert torch.equal(ours_generated, theirs_generated)

    ours.save_pretrained(tmp_path / "prefix")
    _, fresh = gpt2_and_minformer()
    fresh.load_state_dict(model.state_dict())
    reloaded = peft.PeftModel.from_pretrained(fresh, tmp_path / "prefix")
    torch.testing.assert_close(logits(reloaded), expected, rtol=0, atol=1e-6)


def test_prefix_tuning_of_encoders_needs_a_past_key_values_parameter():
    """peft (0.21) prefix-tunes a sequence classifier only through a forward parameter named `past_key_values`,
    which minformer's encoder does not take: it is refused with peft's message. BERT took one before transformers
    5.24 renamed it to `cache`, and is refused the same way from 5.24 on."""
    bert = BertForSequenceClassification(BertConfig(vocab_size=97, hidden_size=32, num_hidden_layers=2,
                                                    num_attention_heads=4, intermediate_size=64, num_labels=3))
    config = peft.PrefixTuningConfig(task_type="SEQ_CLS", num_virtual_tokens=4)
    with pytest.raises(ValueError, match="does not support past key values"):
        encoder = minformer.MinformerEncoderForSequenceClassification(encoder_config(num_labels=3))
        peft.get_peft_model(encoder, config)(input_ids=IDS, attention_mask=MASK)
    if RENAMED:
        with pytest.raises(ValueError, match="does not support past key values"):
            peft.get_peft_model(bert, config)(input_ids=IDS, attention_mask=MASK)
    else:
        assert peft.get_peft_model(bert, config)(input_ids=IDS, attention_mask=MASK).logits.shape == (2, 3)


def test_prefix_tuning_under_gradient_checkpointing_says_what_to_turn_off():
    """transformers' checkpointed layers drop the cache that holds the prefix; GPT-2 then fails on a shape
    mismatch, minformer names the cause and the fix."""
    model = minformer.MinformerDecoderForCausalLM(decoder_config())
    prefixed = peft.get_peft_model(model, peft.PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4))
    model.gradient_checkpointing_enable()
    with pytest.raises(ValueError, match=r"gradient checkpointing on.*gradient_checkpointing_disable\(\)"):
        train(prefixed, IDS, steps=1)
    model.gradient_checkpointing_disable()
    first, last = train(prefixed, IDS, steps=3)
    assert last < first


def test_an_adapter_added_with_transformers_saves_alone_and_reloads(tmp_path, monkeypatch):
    """`model.add_adapter` (transformers' peft integration, used by sentence-transformers) saves only the adapter:
    no config.json, so no model code either, and it loads back onto the base model."""
    import transformers.integrations.peft as integration

    if tuple(int(part) for part in peft.__version__.split(".")[:2]) < (0, 22):
        # transformers 5.24 asks for peft>=0.22 here, newer than PyPI's newest (0.21.2); the calls it makes exist
        monkeypatch.setattr(integration, "check_peft_version", lambda min_version: None)
    model = minformer.MinformerDecoderForCausalLM(decoder_config())
    model.save_pretrained(tmp_path / "base")
    model.add_adapter(peft.LoraConfig(r=4, init_lora_weights=False))
    expected = logits(model)
    model.save_pretrained(tmp_path / "adapter")
    saved = sorted(path.name for path in (tmp_path / "adapter").iterdir())
    assert "adapter_config.json" in saved and "config.json" not in saved and not any(n.endswith(".py") for n in saved)
    fresh = minformer.MinformerDecoderForCausalLM.from_pretrained(tmp_path / "base")
    fresh.load_adapter(tmp_path / "adapter")
    torch.testing.assert_close(logits(fresh), expected, rtol=0, atol=1e-6)
