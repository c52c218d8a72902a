"""`minformer lens`, `minformer fit-lens` and `minformer attention-maps`: look inside a trained model (what each
layer predicts, through the logit lens and the tuned lens; where each head attends)."""

import argparse

from ..outputs import check_output_file
from .sources import add_source_arguments, source_options


def add_lens_commands(commands: argparse._SubParsersAction) -> None:
    lens = commands.add_parser(
        "lens", help="what each layer of a decoder predicts (logit lens, tuned lens)",
        description="Read each layer's residual stream through the final norm and the unembedding (the logit lens) "
                    "and, if MODEL/tuned_lens exists, through the tuned lens: print each layer's top prediction at "
                    "each position and its cross-entropy on the actual next token, and draw them as a heatmap.")
    lens.add_argument("model", help="a saved minformer decoder folder (with its tokenizer)")
    lens.add_argument("text", help='the text to read, e.g. "The return value of the function"')
    lens.add_argument("--top-k", type=int, default=1, help="predictions shown per cell of the table (default 1)")
    lens.add_argument("--output", default="lens.png", help="the heatmap PNG to write (default lens.png)")
    lens.add_argument("--tuned", action=argparse.BooleanOptionalAction, default=None,
                      help="also read through the tuned lens in MODEL/tuned_lens (default: if there is one; --tuned "
                           "requires it, --no-tuned skips it)")
    lens.set_defaults(run=run_lens)

    fit = commands.add_parser(
        "fit-lens", help="fit a tuned lens for a decoder and save it in MODEL/tuned_lens",
        description="Fit one affine translator per layer (Belrose et al. 2023) so that each layer's prediction "
                    "matches the final layer's (minimising their KL divergence), the model frozen, on the train "
                    "split of the text source; save it in MODEL/tuned_lens/ with a JSON of what it was fitted on and "
                    "kl.png, and print each layer's KL for the logit lens and the tuned lens on held-out text. "
                    "--seed fixes both the data split and the order of the training batches.")
    fit.add_argument("model", help="a saved minformer decoder folder (the lens is saved inside it)")
    add_source_arguments(fit)
    fit.add_argument("--steps", type=int, help="optimizer steps (default 250, as in the paper)")
    fit.add_argument("--batch-size", type=int, help="blocks of text per step (default 8)")
    fit.add_argument("--learning-rate", type=float, help="Adam's initial learning rate, decayed linearly to 0 "
                                                         "(default 3e-3)")
    fit.add_argument("--overwrite", action="store_true", help="replace a tuned lens the model folder already has")
    fit.set_defaults(run=run_fit_lens)

    maps = commands.add_parser(
        "attention-maps", help="draw the attention weights of every head of one layer",
        description="Run the text through the model with the eager attention backend and draw the attention "
                    "weights of every head of block --layer as a grid of heatmaps (encoder or decoder).")
    maps.add_argument("model", help="a saved minformer encoder or decoder folder (with its tokenizer)")
    maps.add_argument("text", help="the text to attend over")
    maps.add_argument("--layer", type=int, required=True, help="the block to draw, from 1 (first) to L (last)")
    maps.add_argument("--output", default="attention.png", help="the PNG to write (default attention.png)")
    maps.set_defaults(run=run_attention_maps)


def run_lens(args: argparse.Namespace) -> int:
    from ..lens import (
        encode_text,
        has_tuned_lens,
        layer_names,
        load_causal_lm,
        load_tuned_lens,
        logit_lens,
        token_labels,
    )
    from ..lens.plots import plot_lens_heatmap
    from ..lens.table import lens_table

    if args.top_k < 1:
        raise ValueError(f"--top-k must be at least 1, got {args.top_k}.")
    check_output_file(args.output, [], "--output", ".png")
    model, tokenizer = load_causal_lm(args.model)
    input_ids = encode_text(tokenizer, args.text, model.config)  # (1, T)
    lenses = {"logit lens": None}
    if args.tuned or (args.tuned is None and has_tuned_lens(args.model)):
        lenses["tuned lens"] = load_tuned_lens(args.model, model)
    readings = {name: logit_lens(model, input_ids, args.top_k, tuned) for name, tuned in lenses.items()}
    tokens = token_labels(tokenizer, input_ids[0])
    names = layer_names(model.config.num_hidden_layers)
    mean_losses = {name: reading.mean_loss.tolist() for name, reading in readings.items()}
    logit = readings["logit lens"]
    predictions = [[token_labels(tokenizer, top) for top in layer[0]] for layer in logit.top_ids]  # [L+1][T][k]
    print(f"logit lens of {args.model} on {len(tokens)} tokens: each row is the residual stream after a layer, "
          "each cell its most likely next token; CE = mean cross-entropy (nats) of the actual next token")
    print(lens_table(tokens, predictions, names, mean_losses))
    path = plot_lens_heatmap(args.output, tokens, [[top[0] for top in row] for row in predictions],
                             logit.next_token_loss[:, 0].numpy(), names, mean_losses,
                             title=f"logit lens: {args.model}")
    print(f"wrote {path}")
    return 0


def run_fit_lens(args: argparse.Namespace) -> int:
    from ..lens import fit_and_save, layer_names
    from ..lens.plots import plot_layer_values
    from ..lens.tuned_lens import lens_folder
    from ..loading import load_config
    from ..outputs import output_lock

    options = {name: value for name, value in (("steps", args.steps), ("batch_size", args.batch_size),
                                               ("learning_rate", args.learning_rate)) if value is not None}
    print(f"fitting a tuned lens for {args.model} (the model is not changed) ...")
    load_config(args.model, families=("decoder",))  # before the lock file is written beside MODEL/tuned_lens
    with output_lock(lens_folder(args.model)):  # one fit at a time per model folder
        fit = fit_and_save(args.model, source_options(args), overwrite=args.overwrite, **options)
    names = layer_names(len(fit.logit_lens_kl) - 1)
    width = max(len(name) for name in names)
    print(f"KL(final layer ‖ lens) in nats/token on {fit.evaluated_on}:")
    print(f"{'layer':<{width}}  logit lens  tuned lens")
    for name, logit, tuned in zip(names, fit.logit_lens_kl, fit.tuned_lens_kl):
        print(f"{name:<{width}}  {logit:>10.3f}  {tuned:>10.3f}")
    plot_layer_values(fit.folder / "kl.png", names, {"logit lens": fit.logit_lens_kl, "tuned lens": fit.tuned_lens_kl},
                      ylabel="KL(final layer ‖ lens), nats/token",
                      title=f"{args.model}: KL to the final layer on {fit.evaluated_on}")
    print(f"saved the tuned lens to {fit.folder} ({fit.info['steps']} steps, {fit.info['tokens_seen']:,} tokens, "
          f"{fit.info['fit_seconds']} s); `minformer lens {args.model} TEXT` now shows it")
    return 0


def run_attention_maps(args: argparse.Namespace) -> int:
    from ..lens import attention_maps, encode_text, load_model, token_labels
    from ..lens.attention_maps import check_layer
    from ..lens.plots import plot_attention_grid

    check_output_file(args.output, [], "--output", ".png")
    model, tokenizer = load_model(args.model)
    check_layer(args.layer, model.config.num_hidden_layers)
    input_ids = encode_text(tokenizer, args.text, model.config)  # (1, T)
    weights = attention_maps(model, input_ids, args.layer)[0]  # (nh, T, T)
    path = plot_attention_grid(args.output, weights.numpy(), token_labels(tokenizer, input_ids[0]),
                               title=f"{args.model}: attention of block {args.layer} "
                                     f"(of {model.config.num_hidden_layers})")
    print(f"wrote {path}: {weights.shape[0]} heads of block {args.layer} over {input_ids.shape[1]} tokens")
    return 0
