"""sentence-transformers on minformer encoders: `SentenceTransformer(folder)` embeds as mean pooling of the
encoder's last hidden state, trains with its own trainer, and `CrossEncoder(folder)` scores pairs with the
sequence-classification head."""

import pytest
import torch
from datasets import Dataset
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

sentence_transformers = pytest.importorskip("sentence_transformers")
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss  # noqa: E402

SENTENCES = ["Return the value of the attribute.", "Open the file and return a stream.", "def"]


def test_sentence_transformer_embeds_as_mean_pooling(tiny_encoder):
    model = sentence_transformers.SentenceTransformer(str(tiny_encoder), device="cpu")
    embeddings = model.encode(SENTENCES, convert_to_tensor=True)

    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    encoder = AutoModel.from_pretrained(tiny_encoder).eval()
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = encoder(**batch).last_hidden_state  # (B, T, C)
    mask = batch["attention_mask"][..., None].float()
    expected = (hidden * mask).sum(1) / mask.sum(1)
    torch.testing.assert_close(embeddings, expected, rtol=0, atol=1e-5)


def test_sentence_transformer_trains_and_saves(tiny_encoder, tmp_path):
    model = sentence_transformers.SentenceTransformer(str(tiny_encoder), device="cpu")
    pairs = Dataset.from_dict({"anchor": SENTENCES[:2] * 4, "positive": SENTENCES[1::-1] * 4})
    before = model.encode(SENTENCES, convert_to_tensor=True)
    args = sentence_transformers.SentenceTransformerTrainingArguments(
        output_dir=str(tmp_path / "run"), max_steps=3, per_device_train_batch_size=4, report_to=[], use_cpu=True,
        save_strategy="no", learning_rate=1e-3)
    loss = MultipleNegativesRankingLoss(model)
    sentence_transformers.SentenceTransformerTrainer(model=model, args=args, train_dataset=pairs, loss=loss).train()
    after = model.encode(SENTENCES, convert_to_tensor=True)
    assert not torch.allclose(before, after)
    model.save(str(tmp_path / "saved"))
    reloaded = sentence_transformers.SentenceTransformer(str(tmp_path / "saved"), device="cpu")
    torch.testing.assert_close(reloaded.encode(SENTENCES, convert_to_tensor=True), after, rtol=0, atol=1e-5)


def test_cross_encoder_scores_with_the_classification_head(tiny_encoder, tmp_path):
    head = AutoModelForSequenceClassification.from_pretrained(tiny_encoder, num_labels=1)
    head.save_pretrained(tmp_path / "cross")
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(tmp_path / "cross")
    cross = sentence_transformers.CrossEncoder(str(tmp_path / "cross"), device="cpu")
    pairs = [(SENTENCES[0], SENTENCES[1]), (SENTENCES[1], SENTENCES[2])]
    scores = torch.as_tensor(cross.predict(pairs, activation_fn=torch.nn.Identity()))

    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "cross")
    batch = tokenizer([a for a, _ in pairs], [b for _, b in pairs], padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        expected = head.eval()(**batch).logits[:, 0]
    torch.testing.assert_close(scores.float(), expected, rtol=0, atol=1e-5)
