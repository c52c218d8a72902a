"""`minformer push`: share a trained model (or its tokenizer) on the Hugging Face Hub."""

import argparse


def add_push_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("push", help="push a trained model or tokenizer to the Hugging Face Hub",
                                 description="Upload weights (safetensors), config, tokenizer, the model code for "
                                             "trust_remote_code and a model card, in one commit.")
    parser.add_argument("folder", help="a minformer run's output folder (or a tokenizer folder)")
    parser.add_argument("repo_id", help="user/repo on the Hub")
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    parser.add_argument("--revision", help="branch to push to (created if missing)")
    parser.add_argument("--tokenizer-only", action="store_true", help="push just the tokenizer")
    parser.add_argument("--message", help="commit message")
    parser.set_defaults(run=run_push)


def run_push(args: argparse.Namespace) -> int:
    from ..hub.push import push

    url = push(args.folder, args.repo_id, private=args.private, revision=args.revision,
               tokenizer_only=args.tokenizer_only, commit_message=args.message)
    print(f"pushed {args.folder} to {url}")
    return 0
