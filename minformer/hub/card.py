"""The model card of a pushed minformer model: `huggingface_hub` ModelCardData metadata (with a model-index of the
run's evaluation results) and the sections a reader needs, with every number read from the run's own files."""

import json
import math
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData
from safetensors import safe_open

from ..run_summary import RunSummary

TEMPLATE = Path(__file__).with_name("card_template.md")  # shipped as package data (pyproject.toml)
PIPELINE_TAGS = {"ForCausalLM": "text-generation", "ForMaskedLM": "fill-mask",
                 "ForSequenceClassification": "text-classification",
                 "ForTokenClassification": "token-classification", "Model": "feature-extraction"}
AUTO_CLASSES = {"ForCausalLM": "AutoModelForCausalLM", "ForMaskedLM": "AutoModelForMaskedLM",
                "ForSequenceClassification": "AutoModelForSequenceClassification",
                "ForTokenClassification": "AutoModelForTokenClassification", "Model": "AutoModel"}
USAGE = {
    "text-generation": 'print(pipeline("text-generation", model=model, tokenizer=tokenizer)("Return the", '
                       'max_new_tokens=20))',
    "fill-mask": 'print(pipeline("fill-mask", model=model, tokenizer=tokenizer)("Return the <mask> of the list."))',
    "text-classification": 'print(pipeline("text-classification", model=model, tokenizer=tokenizer)("Some text."))',
    "token-classification": 'print(pipeline("token-classification", model=model, tokenizer=tokenizer)("Some text."))',
    "feature-extraction": 'print(model(**tokenizer("Some text.", return_tensors="pt")).last_hidden_state.shape)',
}
LIMITATIONS = ("A small model trained briefly on a small corpus: expect fluent-looking but unreliable text and "
               "labels, and nothing beyond the domain of its training data. It has not been evaluated for bias "
               "or safety; do not use it for decisions about people.")


def _read_json(folder: Path, name: str) -> dict:
    path = folder / name
    return json.loads(path.read_text()) if path.is_file() else {}


def _parameters(folder: Path) -> int:
    with safe_open(str(folder / "model.safetensors"), framework="pt") as weights:
        return sum(int(math.prod(weights.get_slice(k).get_shape())) for k in weights.keys())


def _kind(architecture: str) -> str:
    return next((suffix for suffix in PIPELINE_TAGS if architecture.endswith(suffix)), "Model")


OPTIMISERS = {"adamw": "AdamW", "muon": "Muon for the blocks' weight matrices, AdamW for the rest"}


def _training_section(summary: RunSummary | None, options: dict, state: dict) -> str:
    if summary is None:
        return "No training record was found in the pushed folder."
    lines = [
        f"- data: {summary.data or 'not recorded'}",
        f"- steps: {summary.steps:,}; tokens seen: {summary.tokens_seen:,}",
        f"- training time: {summary.train_seconds:,} s ({summary.tokens_per_second:,.0f} tokens/s)",
    ]
    if options:
        optimiser = OPTIMISERS[options.get("optimizer") or "adamw"]  # folders from before --optimizer: AdamW
        lines.append(f"- optimiser: {optimiser}, peak learning rate {options['learning_rate']}, cosine schedule with "
                     f"{options['warmup_ratio']:.0%} warm-up, weight decay {options['weight_decay']}, batch "
                     f"{options['batch_size']} × {options['gradient_accumulation_steps']} accumulation × "
                     f"{options['world_size']} processes")
        lines.append(f"- hardware: {options['hardware']}")
    if state.get("log_history"):
        losses = [e["loss"] for e in state["log_history"] if "loss" in e]
        if losses:
            lines.append(f"- training loss: {losses[0]:.3f} at the first log, {losses[-1]:.3f} at the last")
    return "\n".join(lines)


def _evaluation(summary: RunSummary | None) -> tuple[str, list[EvalResult]]:
    """The evaluation table (the model's scores, then its baselines) and the model-index entries of its scores."""
    if summary is None or not summary.scores:
        return "No evaluation results were recorded for this model.", []
    rows = [f"| {score.name} | {score.value:.4f} |" for score in summary.model_scores()]
    rows += [f"| baseline ({score.baseline}): {score.name} | {score.value:.4f} |"
             for score in summary.baseline_scores()]
    results = [EvalResult(task_type=score.task, dataset_type=summary.data_id or "custom",
                          dataset_name=summary.data or "training data", dataset_split=score.split,
                          metric_type=score.metric, metric_name=score.name, metric_value=float(score.value))
               for score in summary.model_scores()]
    return "| metric | value |\n|---|---:|\n" + "\n".join(rows), results


def render_card(folder: str | Path, repo_id: str, license: str = "apache-2.0", language: str = "en") -> ModelCard:
    """The card for the model in `folder`, to be pushed as README.md of `repo_id`."""
    folder = Path(folder)
    config = _read_json(folder, "config.json")
    summary = RunSummary.read(folder)
    architecture = (config.get("architectures") or ["MinformerModel"])[0]
    kind = _kind(architecture)
    pipeline_tag = PIPELINE_TAGS[kind]
    evaluation, results = _evaluation(summary)
    base_model = summary.base_model if summary else None
    card_data = ModelCardData(
        library_name="transformers", license=license, language=language, pipeline_tag=pipeline_tag,
        tags=["minformer", "custom_code", config.get("model_type", "minformer")],
        datasets=[summary.data_id] if summary and summary.data_id else None,
        base_model=base_model if base_model and "/" in base_model and not Path(base_model).exists() else None,
        model_name=repo_id.split("/")[-1], eval_results=results or None,
    )
    tokenizer = _read_json(folder, "tokenizer.json")
    vocab_size = len(tokenizer.get("model", {}).get("vocab", {})) or config.get("vocab_size")
    family = "causal (GPT-like) decoder" if config.get("is_decoder") else "bidirectional (BERT-like) encoder"
    return ModelCard.from_template(
        card_data, template_path=str(TEMPLATE),
        repo_id=repo_id, repo_name=repo_id.split("/")[-1], architecture=architecture,
        architecture_sentence=f"{family} ({architecture})", model_type=config.get("model_type"),
        parameters=f"{_parameters(folder):,}", layers=config.get("num_hidden_layers"),
        hidden_size=config.get("hidden_size"), heads=config.get("num_attention_heads"),
        intermediate_size=config.get("intermediate_size"),
        mlp="gated" if config.get("mlp_type") == "glu" else config.get("hidden_act"),
        positions=config.get("position_embedding_type"),
        norm=f"{config.get('norm_type')}, {config.get('norm_position')}-norm",
        context=config.get("max_position_embeddings"), vocab_size=vocab_size,
        training_section=_training_section(summary, _read_json(folder, "training_options.json"),
                                           _read_json(folder, "trainer_state.json")),
        evaluation_section=evaluation, auto_class=AUTO_CLASSES[kind], usage_example=USAGE[pipeline_tag],
        limitations=LIMITATIONS,
    )
