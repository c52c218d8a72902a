"""`minformer generate`: sample text from a decoder (local folder or Hub repo id)."""

import argparse


def add_generate_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("generate", help="generate text with a decoder",
                                 description="Generate text from a minformer decoder with the KV cache.")
    parser.add_argument("model", help="a saved decoder folder or Hub repo id (with its tokenizer)")
    parser.add_argument("prompt", nargs="+", help="one or more prompts (generated as a left-padded batch)")
    parser.add_argument("--max-new-tokens", type=int, default=50)
    parser.add_argument("--greedy", action="store_true", help="always take the most likely token")
    parser.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default 0.8)")
    parser.add_argument("--top-k", type=int, default=50, help="sample among the k most likely (default 50)")
    parser.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass (default 0.95)")
    parser.add_argument("--num-samples", type=int, default=1, help="samples per prompt (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--attn-implementation", help="attention backend: eager, sdpa, chunked, xformers")
    parser.add_argument("--compile", action="store_true",
                        help="decode with a static cache and the decoding step compiled by torch.compile: the same "
                             "tokens, faster per token, but the first call compiles for seconds (pays off on long "
                             "generations)")
    parser.set_defaults(run=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    from ..generation import generate_texts

    texts = generate_texts(args.model, args.prompt, args.max_new_tokens, args.greedy, args.temperature, args.top_k,
                           args.top_p, args.num_samples, args.seed, args.attn_implementation, args.compile)
    for i, text in enumerate(texts):
        print(f"--- sample {i + 1}\n{text}")
    return 0
