"""Every pipeline task with minformer models, as objects and as saved folders: outputs checked, no warnings."""

import logging
import warnings

import pytest
import torch
from transformers import pipeline

import minformer
from minformer.tokenization import for_family, train_bpe

TEXTS = ["Return the number of items in the list.", "Create a new event loop and return it.",
         "Raise an error if the value is negative."] * 10


@pytest.fixture(scope="module")
def bpe():
    return train_bpe(TEXTS, vocab_size=320, min_frequency=1, show_progress=False)


def config(family, tokenizer, **extra):
    config_class = minformer.MinformerDecoderConfig if family == "decoder" else minformer.MinformerEncoderConfig
    return config_class(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                        eos_token_id=tokenizer.eos_token_id, **extra)


@pytest.fixture
def no_warnings(caplog):
    """Fail if anything is warned through `warnings` or logged at WARNING or above."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert not caught, [str(w.message) for w in caught]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def as_folder(model, tokenizer, tmp_path):
    model.save_pretrained(tmp_path / "model")
    tokenizer.save_pretrained(tmp_path / "model")
    return str(tmp_path / "model")


@pytest.mark.parametrize("saved", [False, True], ids=["object", "folder"])
def test_fill_mask(bpe, tmp_path, saved, no_warnings):
    tokenizer = for_family(bpe, "encoder")
    model = minformer.MinformerEncoderForMaskedLM(config("encoder", tokenizer)).eval()
    target = as_folder(model, tokenizer, tmp_path) if saved else model
    fill = pipeline("fill-mask", model=target, tokenizer=None if saved else tokenizer)
    results = fill("Return the <mask> of items.")
    inputs = tokenizer("Return the <mask> of items.", return_tensors="pt")
    position = inputs["input_ids"][0].tolist().index(tokenizer.mask_token_id)
    probabilities = model(**inputs).logits[0, position].softmax(-1)
    best = probabilities.topk(5)
    assert [r["token"] for r in results] == best.indices.tolist()
    assert results[0]["score"] == pytest.approx(best.values[0].item(), rel=1e-4)


@pytest.mark.parametrize("saved", [False, True], ids=["object", "folder"])
def test_text_generation_batched_with_left_padding(bpe, tmp_path, saved, no_warnings):
    tokenizer = for_family(bpe, "decoder")
    model = minformer.MinformerDecoderForCausalLM(config("decoder", tokenizer)).eval()
    model.generation_config.eos_token_id = None  # generate all the new tokens
    target = as_folder(model, tokenizer, tmp_path) if saved else model
    generate = pipeline("text-generation", model=target, tokenizer=None if saved else tokenizer)
    prompts = ["Return", "Create a new event loop and"]
    batched = generate(prompts, max_new_tokens=6, do_sample=False, batch_size=2)
    for prompt, result in zip(prompts, batched):
        alone = generate(prompt, max_new_tokens=6, do_sample=False)
        assert result[0]["generated_text"] == alone[0]["generated_text"]
        ids = tokenizer(prompt, return_tensors="pt")
        expected = model.generate(**ids, max_new_tokens=6, do_sample=False)
        assert alone[0]["generated_text"] == tokenizer.decode(expected[0], skip_special_tokens=True)


@pytest.mark.parametrize("saved", [False, True], ids=["object", "folder"])
def test_text_classification_labels_from_id2label(bpe, tmp_path, saved, no_warnings):
    tokenizer = for_family(bpe, "encoder")
    labels = {0: "asyncio", 1: "email", 2: "xml"}
    model = minformer.MinformerEncoderForSequenceClassification(
        config("encoder", tokenizer, id2label=labels, label2id={v: k for k, v in labels.items()})).eval()
    target = as_folder(model, tokenizer, tmp_path) if saved else model
    classify = pipeline("text-classification", model=target, tokenizer=None if saved else tokenizer, top_k=None)
    results = classify("Create a new event loop.")
    results = results[0] if isinstance(results[0], list) else results
    probabilities = model(**tokenizer("Create a new event loop.", return_tensors="pt")).logits[0].softmax(-1)
    scores = {r["label"]: r["score"] for r in results}
    assert set(scores) == set(labels.values())
    for index, name in labels.items():
        assert scores[name] == pytest.approx(probabilities[index].item(), rel=1e-4)


@pytest.mark.parametrize("saved", [False, True], ids=["object", "folder"])
def test_token_classification_labels_and_offsets(bpe, tmp_path, saved, no_warnings):
    tokenizer = for_family(bpe, "encoder")
    labels = {0: "O", 1: "B-NAME", 2: "I-NAME"}
    model = minformer.MinformerEncoderForTokenClassification(
        config("encoder", tokenizer, id2label=labels, label2id={v: k for k, v in labels.items()})).eval()
    target = as_folder(model, tokenizer, tmp_path) if saved else model
    tag = pipeline("token-classification", model=target, tokenizer=None if saved else tokenizer,
                   ignore_labels=[])
    text = "Return the number of items."
    results = tag(text)
    inputs = tokenizer(text, return_tensors="pt")
    predicted = model(**inputs).logits[0].argmax(-1).tolist()
    real = [i for i, t in enumerate(inputs["input_ids"][0].tolist()) if t not in tokenizer.all_special_ids]
    assert [r["entity"] for r in results] == [labels[predicted[i]] for i in real]
    for result in results:  # offsets point back into the text (words are byte-level tokens, e.g. "Ġthe")
        word = tokenizer.convert_tokens_to_string([result["word"]])
        assert text[result["start"]:result["end"]].strip() == word.strip()


@pytest.mark.parametrize("family", ["encoder", "decoder"])
def test_feature_extraction_on_base_models(bpe, tmp_path, family, no_warnings):
    tokenizer = for_family(bpe, family)
    model_class = minformer.MinformerEncoderModel if family == "encoder" else minformer.MinformerDecoderModel
    model = model_class(config(family, tokenizer)).eval()
    extract = pipeline("feature-extraction", model=as_folder(model, tokenizer, tmp_path))
    features = torch.tensor(extract("Return the number of items."))
    expected = model(**tokenizer("Return the number of items.", return_tensors="pt")).last_hidden_state
    torch.testing.assert_close(features, expected, atol=1e-5, rtol=0)
