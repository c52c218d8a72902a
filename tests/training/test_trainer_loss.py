"""The models' losses work with transformers.Trainer, including exact gradient accumulation:
one step on a batch of 4 equals one step accumulated over 2 batches of 2."""

import pytest
import torch
from transformers import Trainer, TrainingArguments

import minformer
from tests.conftest import decoder_config, encoder_config


def examples(task):
    lengths = [3, 8, 5, 6]  # unequal token counts: a per-batch mean would weight them wrongly
    rows = []
    for i, n in enumerate(lengths):
        ids = torch.randint(3, 97, (n,))
        labels = {"causal": ids, "seq": torch.tensor(i % 3)}[task]
        rows.append({"input_ids": ids, "labels": labels})
    return rows


def collate(rows):
    longest = max(len(r["input_ids"]) for r in rows)
    ids = torch.zeros(len(rows), longest, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, : len(r["input_ids"])] = r["input_ids"]
        mask[i, : len(r["input_ids"])] = 1
    batch = {"input_ids": ids, "attention_mask": mask}
    if rows[0]["labels"].ndim:  # token labels: padding is not a target
        batch["labels"] = ids.masked_fill(mask == 0, -100)
    else:
        batch["labels"] = torch.stack([r["labels"] for r in rows])
    return batch


def train_one_step(model, data, tmp_path, batch_size, accumulation):
    args = TrainingArguments(
        output_dir=str(tmp_path / f"bs{batch_size}"), max_steps=1, per_device_train_batch_size=batch_size,
        gradient_accumulation_steps=accumulation, learning_rate=1.0, optim="sgd", lr_scheduler_type="constant",
        max_grad_norm=0.0, weight_decay=0.0, save_strategy="no", report_to="none", use_cpu=True,
        disable_tqdm=True, logging_strategy="no", seed=0,
    )
    Trainer(model=model, args=args, train_dataset=data, data_collator=collate).train()
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("task", ["causal", "seq"])
def test_gradient_accumulation_matches_one_big_batch(task, tmp_path):
    def make():
        torch.manual_seed(0)
        if task == "causal":
            return minformer.MinformerDecoderForCausalLM(decoder_config())
        return minformer.MinformerEncoderForSequenceClassification(encoder_config(num_labels=3))

    initial = {name: p.detach().clone() for name, p in make().named_parameters()}
    data = examples(task)
    big = train_one_step(make(), data, tmp_path, batch_size=4, accumulation=1)
    accumulated = train_one_step(make(), data, tmp_path, batch_size=2, accumulation=2)
    moved = max((big[n] - initial[n]).abs().max().item() for n in big)
    assert moved > 1e-3  # the step really changed the weights
    for name in big:
        torch.testing.assert_close(accumulated[name], big[name], atol=1e-5, rtol=0, msg=name)
