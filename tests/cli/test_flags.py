"""Flags are spelled after the option fields they fill, and their older spellings still work: both parse into the
same namespace, and the options built from it by name hold what the user asked for. Nothing is trained."""

import pytest

from minformer.cli.flags import options_from
from minformer.cli.main import build_parser, parse
from minformer.cli.sources import source_options
from minformer.cli.training import run_options

NEW = ["--hub-dataset", "user/texts", "--hub-config", "en", "--hub-split", "train", "--num-hidden-layers", "2",
       "--num-attention-heads", "4", "--sequence-length", "64", "--gradient-accumulation-steps", "3",
       "--output-dir", "runs/x", "--train-seed", "7"]
OLD = ["--dataset", "user/texts", "--dataset-config", "en", "--split", "train", "--num-layers", "2",
       "--num-heads", "4", "--block-size", "64", "--gradient-accumulation", "3", "--output", "runs/x",
       "--train-seed", "7"]


def test_old_and_new_spellings_parse_alike():
    assert vars(parse(build_parser(), ["pretrain", *OLD])) == vars(parse(build_parser(), ["pretrain", *NEW]))


def test_options_are_built_from_the_namespace_by_name():
    from minformer.training.pretrain import PretrainOptions

    args = parse(build_parser(), ["pretrain", *OLD])
    source, run = source_options(args), run_options(args)
    assert (source.hub_dataset, source.hub_config, source.hub_split, source.seed) == ("user/texts", "en", "train", 0)
    assert (run.output_dir, run.gradient_accumulation_steps, run.seed) == ("runs/x", 3, 7)  # --train-seed, not --seed
    options = options_from(PretrainOptions, args, source=source, run=run)
    assert (options.num_hidden_layers, options.num_attention_heads, options.sequence_length) == (2, 4, 64)
    assert options.source is source and options.run is run


def test_a_sweep_takes_its_fields_by_name():
    from minformer.scaling.sweep import SweepOptions

    args = parse(build_parser(), ["scaling", "--builtin", "--output", "runs/s", "--block-size", "32", "--seed", "5",
                                  "--sizes", "1x16", "--tokens", "4096"])
    options = options_from(SweepOptions, args, source=source_options(args), sizes=tuple(args.sizes),
                           tokens=tuple(args.tokens))
    assert (options.output_dir, options.sequence_length, options.seed, options.sizes, options.tokens) == \
        ("runs/s", 32, 5, ("1x16",), (4096,))


@pytest.mark.parametrize("command", [
    ["pretrain", "--builtin", "--output", "run"],
    ["evaluate", "model", "--builtin"],
    ["plan", "--flops", "1e15"],
    ["scaling", "--builtin", "--output", "run"],
])
def test_every_sequence_length_flag_has_both_spellings(command):
    for flag in ("--sequence-length", "--block-size"):
        assert parse(build_parser(), [*command, flag, "48"]).sequence_length == 48


def test_backends_sequence_length_keeps_length_as_its_alias():
    for flag in ("--sequence-length", "--length"):
        assert parse(build_parser(), ["backends", "--check", "model", flag, "24"]).sequence_length == 24


@pytest.mark.parametrize("command", ["train-tokenizer", "pretrain", "scaling", "demo"])
def test_every_output_folder_flag_has_both_spellings(command):
    extra = {"pretrain": ["--builtin"], "scaling": ["--builtin"], "train-tokenizer": ["--builtin"]}.get(command, [])
    for flag in ("--output-dir", "--output"):
        assert parse(build_parser(), [command, *extra, flag, "runs/out"]).output_dir == "runs/out"
