"""trl's SFTTrainer on minformer decoders: from a saved folder by name in a process without minformer
(trust_remote_code), and from a model object with packing, padding-free batches and LoRA."""

import json

import pytest
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.without_minformer import run_without_minformer

trl = pytest.importorskip("trl")

TEXTS = ["Return the value of the attribute.", "Open the file and return a stream.",
         "The module provides functions for working with paths.", "Raise an error when the key is missing."] * 4

SFT_BY_NAME = r"""
import json, math
from datasets import Dataset
from transformers import AutoModelForCausalLM
from trl import SFTConfig, SFTTrainer
folder, output, texts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
args = SFTConfig(output_dir=output, max_steps=4, per_device_train_batch_size=4, learning_rate=1e-3, report_to=[],
                 use_cpu=True, save_strategy="no", logging_steps=1, max_length=32,
                 model_init_kwargs={"trust_remote_code": True, "dtype": "float32"})
trainer = SFTTrainer(folder, args=args, train_dataset=Dataset.from_dict({"text": texts}))
assert type(trainer.model).__module__.startswith("transformers_modules."), type(trainer.model).__module__
trainer.train()
losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
trainer.save_model(output)
reloaded = AutoModelForCausalLM.from_pretrained(output, trust_remote_code=True)
print(json.dumps({"losses": losses, "reloaded": type(reloaded).__name__}))
"""


def test_sft_trainer_loads_a_saved_folder_by_name_without_minformer(tiny_decoder, tmp_path):
    done = run_without_minformer(SFT_BY_NAME, str(tiny_decoder), str(tmp_path / "sft"), json.dumps(TEXTS),
                                 cwd=tmp_path)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["losses"]) == 4 and all(loss == loss and loss < 20 for loss in result["losses"])
    assert result["reloaded"] == "MinformerDecoderForCausalLM"


@pytest.mark.parametrize("options", [dict(packing=True), dict(padding_free=True, max_length=None), dict(lora=True)])
def test_sft_trainer_with_a_model_object(tiny_decoder, tmp_path, options):
    model = AutoModelForCausalLM.from_pretrained(tiny_decoder)
    tokenizer = AutoTokenizer.from_pretrained(tiny_decoder)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    lora = options.pop("lora", False)
    peft_config = None
    if lora:
        from peft import LoraConfig

        peft_config = LoraConfig(task_type="CAUSAL_LM", r=4)  # minformer gives peft its default targets
    args = trl.SFTConfig(output_dir=str(tmp_path), max_steps=3, per_device_train_batch_size=4, learning_rate=1e-3,
                         report_to=[], use_cpu=True, save_strategy="no", logging_steps=1, **{"max_length": 32, **options})
    trainer = trl.SFTTrainer(model, args=args, train_dataset=Dataset.from_dict({"text": TEXTS}),
                             processing_class=tokenizer, peft_config=peft_config)
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 3 and all(torch.isfinite(torch.tensor(losses)))
    changed = {name for name, p in trainer.model.named_parameters()
               if name in before and not torch.equal(p.detach(), before[name])}
    if lora:
        assert not changed and any("lora_" in name for name, p in trainer.model.named_parameters() if p.requires_grad)
    else:
        assert changed  # the model itself was trained


def test_a_padding_free_row_attends_within_each_document(tiny_decoder):
    """Padding-free batches are documents laid end to end in one row, told apart by position_ids restarting at 0:
    each document's logits are those it has alone."""
    model = AutoModelForCausalLM.from_pretrained(tiny_decoder).eval()
    first, second = torch.randint(3, 200, (1, 7)), torch.randint(3, 200, (1, 5))
    packed = torch.cat([first, second], dim=1)
    position_ids = torch.cat([torch.arange(7), torch.arange(5)])[None]
    with torch.no_grad():
        logits = model(packed, position_ids=position_ids).logits
        torch.testing.assert_close(logits[:, :7], model(first).logits, rtol=0, atol=1e-5)
        torch.testing.assert_close(logits[:, 7:], model(second).logits, rtol=0, atol=1e-5)
