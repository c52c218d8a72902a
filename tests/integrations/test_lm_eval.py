"""lm-evaluation-harness's CLI on a saved minformer decoder folder, in a process without minformer
(`--model hf --model_args pretrained=<folder>,trust_remote_code=True`), on a custom multiple-choice task over a
local JSONL file: its log-likelihoods are the model's own."""

import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.without_minformer import run_without_minformer

pytest.importorskip("lm_eval")

QUESTIONS = [
    {"question": "Return the value of", "choices": ["the attribute.", "a file.", "nothing at all."], "answer": 0},
    {"question": "Open the file and", "choices": ["return a stream.", "the value of.", "raise it."], "answer": 0},
    {"question": "The module provides", "choices": ["functions.", "the file.", "a value of the."], "answer": 0},
    {"question": "Raise an error when", "choices": ["the key is missing.", "of the.", "open."], "answer": 0},
]

TASK = """task: minformer_choices
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{question}}}}"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: "{{{{answer}}}}"
metric_list:
  - metric: acc
"""

LM_EVAL = r"""
sys.argv = ["lm_eval", *sys.argv[1:]]
from lm_eval.__main__ import cli_evaluate
cli_evaluate()
"""


def loglikelihood(model, tokenizer, context: str, continuation: str) -> float:
    """log p(continuation | context), the continuation's tokens being those of the whole text after the context's."""
    context_ids = tokenizer(context)["input_ids"]
    whole = tokenizer(context + " " + continuation)["input_ids"]
    with torch.no_grad():
        logprobs = model(torch.tensor([whole])).logits.log_softmax(-1)[0]
    return sum(logprobs[i - 1, whole[i]].item() for i in range(len(context_ids), len(whole)))


def test_lm_eval_cli_on_a_saved_folder_without_minformer(tiny_decoder, tmp_path):
    data = tmp_path / "questions.jsonl"
    data.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "minformer_choices.yaml").write_text(TASK.format(data=data))
    run_without_minformer(LM_EVAL, "--model", "hf", "--model_args",
                          f"pretrained={tiny_decoder},trust_remote_code=True,dtype=float32", "--tasks",
                          "minformer_choices", "--include_path", str(tasks), "--device", "cpu", "--batch_size", "2",
                          "--output_path", str(tmp_path / "results"), "--log_samples", cwd=tmp_path)
    (samples_file,) = (tmp_path / "results").rglob("samples_minformer_choices_*.jsonl")
    samples = [json.loads(line) for line in samples_file.read_text().splitlines()]
    (results_file,) = (tmp_path / "results").rglob("results_*.json")
    accuracy = json.loads(results_file.read_text())["results"]["minformer_choices"]["acc,none"]

    model = AutoModelForCausalLM.from_pretrained(tiny_decoder).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_decoder)
    correct = 0
    for sample in sorted(samples, key=lambda s: s["doc_id"]):
        question = QUESTIONS[sample["doc_id"]]
        ours = [loglikelihood(model, tokenizer, question["question"], choice) for choice in question["choices"]]
        theirs = [float(response[0]) for response in sample["filtered_resps"]]  # (loglikelihood, is_greedy) per choice
        assert theirs == pytest.approx(ours, abs=1e-4)
        correct += int(max(range(len(ours)), key=ours.__getitem__) == question["answer"])
    assert len(samples) == len(QUESTIONS) and accuracy == pytest.approx(correct / len(QUESTIONS))
