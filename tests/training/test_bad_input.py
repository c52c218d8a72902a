"""The training commands' one-line errors with exit code 2, and the user's runs left untouched."""

import json

import pytest

from minformer.cli.main import main
from tests.training.conftest import TINY_RUN, pretrain_args


def last_error(capsys):
    lines = capsys.readouterr().err.strip().splitlines()
    return lines[-1] if lines else ""


def test_unknown_preset(tmp_path, capsys):
    assert main(["pretrain", "--builtin", "--preset", "huge", "--output", str(tmp_path / "run")]) == 2
    assert "unknown preset 'huge'; use one of tiny, small, base" in last_error(capsys)


def test_output_folder_holding_another_run_is_refused(tiny_decoder, capsys):
    before = sorted(p.name for p in tiny_decoder.iterdir())
    assert main(pretrain_args("decoder", tiny_decoder)) == 2
    assert "already holds a run; pass --resume to continue it or --overwrite" in last_error(capsys)
    assert sorted(p.name for p in tiny_decoder.iterdir()) == before


def test_resume_without_checkpoint(tmp_path, capsys):
    assert main(pretrain_args("decoder", tmp_path / "new", extra=["--resume"])) == 2
    assert "holds a checkpoint-N folder to resume from" in last_error(capsys)


def test_missing_text_column(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"body": f"text {i}"}) + "\n" for i in range(50)))
    assert main(["pretrain", str(data), "--output", str(tmp_path / "run")]) == 2
    assert "has no column 'text'; its columns are ['body']" in last_error(capsys)


def test_labels_that_do_not_match_num_labels(tiny_encoder, tmp_path, capsys):
    assert main(["finetune", str(tiny_encoder), "--builtin", "--num-labels", "3", *TINY_RUN,
                 "--output", str(tmp_path / "run")]) == 2
    error = last_error(capsys)
    assert "the data has 8 labels" in error and "--num-labels 8" in error


def test_tokenizer_vocabulary_mismatch(tiny_encoder, tmp_path, capsys):
    import shutil

    from minformer.tokenization import for_family, save_tokenizer, train_bpe

    model = tmp_path / "mismatched"
    shutil.copytree(tiny_encoder, model, ignore=shutil.ignore_patterns("checkpoint-*"))
    bpe = train_bpe(["some other text to train on " * 20], vocab_size=280, min_frequency=1, show_progress=False)
    save_tokenizer(for_family(bpe, "encoder"), model, overwrite=True)  # replaces the folder: copy config back
    for name in ("config.json", "model.safetensors"):
        shutil.copy(tiny_encoder / name, model / name)
    assert main(["finetune", str(model), "--builtin", *TINY_RUN, "--output", str(tmp_path / "run")]) == 2
    assert "tokens but the model expects 300" in last_error(capsys)


@pytest.mark.parametrize("flag", ["--learning-rate", "--max-steps"])
def test_bad_flag_values_are_argparse_errors(flag, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["pretrain", "--builtin", flag, "not-a-number", "--output", str(tmp_path)])
    assert exit_.value.code == 2
