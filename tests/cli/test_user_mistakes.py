"""Every user mistake, run through the real command line in a fresh process: exit code 2, one line on stderr naming
the fault (no traceback), and every file in the working folder byte-identical afterwards (decoys included).
The processes are forked from a warm one (tests/warm_cli.py); one case also runs cold, and must give the same.

Each row of CASES is (name, setup, command, words the error must contain). `setup(workspace)` builds what the command
needs inside the workspace; the workspace is the command's current directory and holds decoy files of the user's.
"""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.warm_cli import quiet_env, run_minformer

TINY = ["--hidden-size", "32", "--num-layers", "1", "--num-heads", "2", "--intermediate-size", "64",
        "--block-size", "32", "--vocab-size", "300"]
QUICK = ["--max-steps", "2", "--batch-size", "4"]
PARAGRAPHS = "".join(f"Paragraph {i} of the user's own corpus, with a few words in it.\n\n" for i in range(80))


def run_cli(args: list[str], cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return run_minformer(args, cwd, env or quiet_env(HOME=str(cwd / "home")), timeout)


def run_cold(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m minformer.cli.main ARGS` started from nothing, as the user's shell starts it."""
    return subprocess.run([sys.executable, "-m", "minformer.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env or quiet_env(HOME=str(cwd / "home")))


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under `root`: relative path -> sha256 of its bytes ("dir" for folders)."""
    return {str(path.relative_to(root)): "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*"))}


# ---- what the rows set up -------------------------------------------------------------------------------------------

def copy_model(source: Path, workspace: Path, name: str, checkpoints: bool = False) -> Path:
    ignore = None if checkpoints else shutil.ignore_patterns("checkpoint-*")
    return Path(shutil.copytree(source, workspace / name, ignore=ignore))


def damage(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def bert_folder(workspace: Path, decoder: Path) -> None:
    from transformers import BertConfig, BertForMaskedLM

    BertForMaskedLM(BertConfig(vocab_size=300, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=64)).save_pretrained(workspace / "bert")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(decoder / name, workspace / "bert" / name)


def other_tokenizer(workspace: Path, decoder: Path) -> None:
    from minformer.tokenization import for_family, save_tokenizer, train_bpe

    copy_model(decoder, workspace, "dec")
    bpe = train_bpe(["some other text to train on " * 20], vocab_size=270, min_frequency=1, show_progress=False)
    save_tokenizer(for_family(bpe, "decoder"), workspace / "tok270")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(workspace / "tok270" / name, workspace / "dec" / name)


def pickle_weights(workspace: Path, decoder: Path) -> None:
    import torch

    model = copy_model(decoder, workspace, "dec")
    (model / "model.safetensors").unlink()
    torch.save({"weights": shutil.copy}, model / "pytorch_model.bin")  # a function: refused by weights_only


def labels_file(workspace: Path, labels: list, name: str = "labels.jsonl") -> None:
    write_jsonl(workspace / name, [{"text": f"example text number {i}", "label": labels[i % len(labels)]}
                                   for i in range(60)])


def run_with_checkpoint(workspace: Path, decoder: Path) -> Path:
    """A copy of the pretrained decoder's run folder, checkpoints included, to --resume."""
    return copy_model(decoder, workspace, "run", checkpoints=True)


def last_checkpoint(folder: Path) -> Path:
    return max(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))


def unfinished(run: Path) -> None:
    """Make the run look interrupted (no final trainer_state.json), so --resume reads its last checkpoint."""
    (run / "trainer_state.json").unlink()


# ---- the table ------------------------------------------------------------------------------------------------------

def pretrain(*extra: str, output: str = "runs/new") -> list[str]:
    return ["pretrain", "corpus.txt", *TINY, *QUICK, "--output", output, *extra]


CASES = [
    # data loss: outputs that would replace the user's files
    ("empty-output", None, pretrain("--overwrite", output=""), ["--output is empty"]),
    ("current-directory", None, pretrain("--overwrite", output="."), ["is the current directory"]),
    ("parent-of-cwd", None, pretrain("--overwrite", output=".."), ["a parent of the current directory"]),
    ("home-folder", None, pretrain("--overwrite", output="~"), ["your home folder"]),
    ("output-is-base-model", lambda w, d, e: copy_model(e, w, "enc"),
     ["finetune", "enc", "labels.csv", *QUICK, "--output", "enc", "--overwrite"], ["is the input enc"]),
    ("output-is-tokenizer", lambda w, d, e: copy_model(d, w, "tok"),
     pretrain("--tokenizer", "tok", "--overwrite", output="tok"), ["is the input tok"]),
    ("corpus-inside-output", lambda w, d, e: (w / "runs" / "old").mkdir(parents=True) or
     (w / "runs" / "old" / "corpus.txt").write_text(PARAGRAPHS),
     ["pretrain", "runs/old/corpus.txt", *TINY, *QUICK, "--output", "runs", "--overwrite"], ["contains the input"]),
    ("output-is-a-file", None, pretrain("--overwrite", output="notes.md"), ["is a file, not a folder"]),
    ("overwrite-then-bad-heads", lambda w, d, e: copy_model(d, w, "run"),
     ["pretrain", "corpus.txt", *TINY[:4], "--num-heads", "3", *TINY[6:], *QUICK, "--output", "run", "--overwrite"],
     ["divisible by num_attention_heads"]),
    ("existing-run-without-flags", lambda w, d, e: copy_model(d, w, "run"), pretrain(output="run"),
     ["already holds a run", "--resume", "--overwrite"]),
    ("resume-and-overwrite", lambda w, d, e: copy_model(d, w, "run", checkpoints=True),
     pretrain("--resume", "--overwrite", output="run"), ["either --resume", "or --overwrite"]),
    ("resume-without-checkpoint", None, pretrain("--resume", output="runs/none"), ["holds a checkpoint-N folder"]),
    ("resume-finished-run", lambda w, d, e: copy_model(d, w, "run", checkpoints=True),
     ["pretrain", "--builtin", *TINY, "--max-steps", "30", "--output", "run", "--resume"],
     ["is a finished run (step 30", "larger --max-steps"]),
    ("stale-lock", lambda w, d, e: (w / ".locked.lock").write_text(json.dumps(
        {"pid": 999999999, "host": __import__("socket").gethostname(), "started": "2026-01-01 00:00:00"})),
     pretrain(output="locked"), ["stale lock", "pid 999999999", "rm "]),
    # damaged files the user gives
    ("truncated-weights-generate", lambda w, d, e: damage(copy_model(d, w, "dec") / "model.safetensors", 200),
     ["generate", "dec", "Return the"], ["model weights in dec", "SafetensorError"]),
    ("truncated-weights-evaluate", lambda w, d, e: damage(copy_model(d, w, "dec") / "model.safetensors", 5000),
     ["evaluate", "dec", "corpus.txt"], ["model weights in dec"]),
    ("truncated-weights-push", lambda w, d, e: damage(copy_model(d, w, "dec") / "model.safetensors", 5000),
     ["push", "dec", "user/repo"], ["dec/model.safetensors", "damaged"]),
    ("truncated-checkpoint-resume", lambda w, d, e: unfinished(run := run_with_checkpoint(w, d)) or
     damage(last_checkpoint(run) / "model.safetensors", 5000),
     ["pretrain", "--builtin", *TINY, "--max-steps", "30", "--output", "run", "--resume"],
     ["checkpoint-30/model.safetensors", "Delete"]),
    ("corrupt-optimizer-resume", lambda w, d, e: unfinished(run := run_with_checkpoint(w, d)) or
     damage(last_checkpoint(run) / "optimizer.pt", 100),
     ["pretrain", "--builtin", *TINY, "--max-steps", "30", "--output", "run", "--resume"],
     ["optimizer.pt", "Delete"]),
    ("pickle-only-weights", lambda w, d, e: pickle_weights(w, d), ["generate", "dec", "Return the"],
     ["model weights in dec", "Weights only load failed"]),
    ("tokenizer-bad-merge", lambda w, d, e: edit_json(copy_model(d, w, "dec") / "tokenizer.json",
                                                      lambda t: t["model"]["merges"].__setitem__(0, "zzzz")),
     ["generate", "dec", "Return the"], ["tokenizer in dec", "damaged"]),
    ("tokenizer-without-model", lambda w, d, e: edit_json(copy_model(d, w, "dec") / "tokenizer.json",
                                                          lambda t: t.pop("model")),
     ["evaluate", "dec", "corpus.txt"], ["tokenizer in dec", "Model missing"]),
    ("config-missing-keys", lambda w, d, e: edit_json(copy_model(d, w, "dec") / "config.json",
                                                      lambda c: [c.pop("vocab_size"), c.pop("hidden_size")]),
     ["generate", "dec", "Return the"], ["config.json lacks vocab_size, hidden_size"]),
    ("config-not-json", lambda w, d, e: (copy_model(d, w, "dec") / "config.json").write_text("{not json"),
     ["generate", "dec", "Return the"], ["dec/config.json"]),
    ("config-nan", lambda w, d, e: edit_json(copy_model(d, w, "dec") / "config.json",
                                             lambda c: c.__setitem__("layer_norm_eps", float("nan"))),
     ["generate", "dec", "Return the"], ["layer_norm_eps must be a finite positive number"]),
    ("config-heads-do-not-divide", lambda w, d, e: edit_json(copy_model(d, w, "dec") / "config.json",
                                                             lambda c: c.__setitem__("hidden_size", 31)),
     ["generate", "dec", "Return the"], ["hidden_size (31) must be divisible by num_attention_heads"]),
    ("config-float-vocabulary", lambda w, d, e: edit_json(copy_model(d, w, "dec") / "config.json",
                                                          lambda c: c.__setitem__("vocab_size", 2.5)),
     ["generate", "dec", "Return the"], ["Field 'vocab_size' expected int, got float"]),
    ("not-a-minformer-model", lambda w, d, e: bert_folder(w, d), ["generate", "bert", "Return the"],
     ["holds a bert model, not a minformer decoder"]),
    ("encoder-given-to-generate", lambda w, d, e: copy_model(e, w, "enc"), ["generate", "enc", "Return the"],
     ["holds a minformer_encoder model, not a minformer decoder"]),
    ("generate-vocabulary-mismatch", lambda w, d, e: other_tokenizer(w, d), ["generate", "dec", "Return the"],
     ["tokens but the model expects 300"]),
    # malformed data
    ("malformed-jsonl", lambda w, d, e: (w / "bad.jsonl").write_text('{"text": "a"}\n{"text": \n'),
     ["pretrain", "bad.jsonl", *TINY, *QUICK, "--output", "runs/new"], ["bad.jsonl, line 2, is not valid JSON"]),
    ("numbers-as-text", lambda w, d, e: write_jsonl(w / "numbers.jsonl", [{"text": i} for i in range(60)]),
     ["pretrain", "numbers.jsonl", *TINY, *QUICK, "--output", "runs/new"], ["holds int64 values, not text"]),
    ("missing-text-column", lambda w, d, e: write_jsonl(w / "body.jsonl", [{"body": "x"}] * 60),
     ["pretrain", "body.jsonl", *TINY, *QUICK, "--output", "runs/new"], ["no column 'text'", "--text-column"]),
    ("seq2seq-target-flag", lambda w, d, e: write_jsonl(w / "pairs.jsonl", [{"source": "a", "answer": "b"}] * 60),
     ["pretrain", "--family", "seq2seq", "pairs.jsonl", "--text-column", "source", "--preset", "tiny", *QUICK,
      "--output", "runs/new"], ["no column 'target'", "--target-column"]),
    ("labels-with-a-gap", lambda w, d, e: copy_model(e, w, "enc") and labels_file(w, [0, 1, 7]),
     ["finetune", "enc", "labels.jsonl", *QUICK, "--output", "runs/new"], ["class ids 2, 3, 4, 5, 6 never occur",
                                                                            "--num-labels 8"]),
    ("empty-label-cell", lambda w, d, e: copy_model(e, w, "enc") and (w / "empty.csv").write_text(
        "text,label\n" + "".join(f"text {i},{'' if i == 7 else 'pos'}\n" for i in range(60))),
     ["finetune", "enc", "empty.csv", *QUICK, "--output", "runs/new"], ["has an empty label"]),
    ("tags-of-another-length", lambda w, d, e: copy_model(e, w, "enc") and write_jsonl(
        w / "ner.jsonl", [{"tokens": ["a", "b", "c"], "tags": ["X", "Y"]}] * 60),
     ["finetune", "enc", "--task", "token-classification", "ner.jsonl", "--text-column", "tokens",
      "--label-column", "tags", *QUICK, "--output", "runs/new"], ["3 words but 2 tags"]),
    ("words-as-a-string", lambda w, d, e: copy_model(e, w, "enc") and write_jsonl(
        w / "ner.jsonl", [{"tokens": "a b c", "tags": ["X", "Y", "Z"]}] * 60),
     ["finetune", "enc", "--task", "token-classification", "ner.jsonl", "--text-column", "tokens",
      "--label-column", "tags", *QUICK, "--output", "runs/new"], ["must hold a list of words"]),
    # bad flag values
    ("vocab-size-as-float", None, pretrain("--vocab-size", "1e20"), ["--vocab-size", "invalid int value"]),
    ("vocab-size-huge", None, pretrain("--vocab-size", "100000000000000000000"), ["not a vocabulary size"]),
    ("gradient-accumulation-0", None, pretrain("--gradient-accumulation", "0"),
     ["--gradient-accumulation must be a positive integer"]),
    ("max-steps-negative", None, pretrain("--max-steps", "-5"), ["--max-steps must be a positive integer, got -5"]),
    ("max-steps-zero", None, pretrain("--max-steps", "0"), ["--max-steps must be a positive integer, got 0"]),
    ("learning-rate-nan", None, pretrain("--learning-rate", "nan"), ["--learning-rate must be a finite positive"]),
    ("unknown-optimizer", None, pretrain("--optimizer", "sgd"), ["--optimizer", "invalid choice: 'sgd'"]),
    ("config-override-misspelt", None, pretrain("--config-overrides", "qk_nrom=true"),
     ["--config-overrides: the decoder config has no field 'qk_nrom'; its fields are", "qk_norm"]),
    ("config-override-wrong-type", None, pretrain("--config-overrides", "qk_norm=3"),
     ["--config-overrides: Validation error for field 'qk_norm'", "expected bool"]),
    ("mlm-probability-on-a-decoder", None, pretrain("--mlm-probability", "0.3"),
     ["--mlm-probability is the masking of --family encoder"]),
    ("scaling-batch-size-0", None, ["scaling", "corpus.txt", "--batch-size", "0", "--output", "runs/scaling"],
     ["--batch-size must be a positive integer"]),
    ("backends-length-0", lambda w, d, e: copy_model(d, w, "dec"), ["backends", "--check", "dec", "--length", "0"],
     ["--length must be a positive integer"]),
    ("num-samples-0", lambda w, d, e: copy_model(d, w, "dec"), ["generate", "dec", "Return", "--num-samples", "0"],
     ["--num-samples must be a positive integer"]),
    ("plan-huge-budget", None, ["plan", "--flops", "1e40"], ["searches decoders of up to 1e+13 parameters"]),
    ("unknown-preset", None, pretrain("--preset", "huge"), ["unknown preset 'huge'"]),
    ("missing-corpus-file", None, ["pretrain", "missing.txt", *TINY, "--output", "runs/new"], ["missing.txt: no such"]),
    ("json-into-the-model", lambda w, d, e: copy_model(d, w, "dec"),
     ["evaluate", "dec", "corpus.txt", "--json", "dec/config.json"], ["would write into the input dec"]),
    ("png-over-the-corpus", lambda w, d, e: copy_model(d, w, "dec"), ["lens", "dec", "Return", "--output",
                                                                      "corpus.txt"], ["is not a .png file"]),
    ("push-unreachable", lambda w, d, e: copy_model(d, w, "dec"), ["push", "dec", "user/repo"],
     ["cannot reach http://127.0.0.1:9 (ConnectError", "HF_ENDPOINT"]),
]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The user's folder: their corpus, labelled data and other files that no command may touch."""
    (tmp_path / "corpus.txt").write_text(PARAGRAPHS)
    (tmp_path / "labels.csv").write_text("text,label\n" + "".join(f"text {i},{i % 2}\n" for i in range(60)))
    (tmp_path / "notes.md").write_text("the user's notes\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "keep.txt").write_text("keep me\n")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".bashrc").write_text("# the user's shell settings\n")
    return tmp_path


@pytest.mark.parametrize("name, setup, command, words", CASES, ids=[case[0] for case in CASES])
def test_mistake_gets_one_line_and_changes_nothing(name, setup, command, words, workspace, tiny_decoder,
                                                   tiny_encoder):
    if setup is not None:
        setup(workspace, tiny_decoder, tiny_encoder)
    before = tree(workspace)
    extra = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "hf_test", "HF_HUB_OFFLINE": "0"} \
        if name == "push-unreachable" else {}  # online, to a port where nothing listens
    result = run_cli(command, workspace, quiet_env(HOME=str(workspace / "home"), **extra))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith("minformer"), result.stderr[-3000:]
    for word in words:
        assert word in lines[0], lines[0]
    assert tree(workspace) == before


def test_a_cold_start_gives_what_the_warm_one_gives(workspace, tiny_decoder):
    copy_model(tiny_decoder, workspace, "dec")
    edit_json(workspace / "dec" / "config.json", lambda c: c.__setitem__("hidden_size", 31))
    cold, warm = (run(["generate", "dec", "Return the"], workspace) for run in (run_cold, run_cli))
    assert (cold.returncode, cold.stdout, cold.stderr) == (warm.returncode, warm.stdout, warm.stderr)
    assert cold.returncode == 2 and "hidden_size (31)" in cold.stderr


def test_debug_shows_the_traceback(workspace):
    result = run_cold(pretrain("--max-steps", "0", "--debug"), workspace)
    assert result.returncode != 0 and "Traceback" in result.stderr and "--max-steps must be" in result.stderr
    env = quiet_env(HOME=str(workspace / "home"), MINFORMER_DEBUG="1")
    assert "Traceback" in run_cli(pretrain("--max-steps", "0"), workspace, env).stderr


def test_options_may_come_between_positional_arguments():
    from minformer.cli.main import build_parser, parse

    args = parse(build_parser(), ["finetune", "runs/encoder", "--task", "token-classification", "ner.jsonl",
                                  "--text-column", "tokens", "--label-column", "tags", "--output", "runs/tagger"])
    assert (args.model, args.files, args.task, args.text_column) == ("runs/encoder", ["ner.jsonl"],
                                                                     "token-classification", "tokens")
