"""Quickstart: build a tiny minformer decoder, generate with the KV cache, save it, reload it with
`AutoModelForCausalLM`, and check the reloaded model gives the same tokens. Runs offline in seconds."""

import tempfile

import torch
from transformers import AutoModelForCausalLM

import minformer  # registers minformer with the transformers Auto classes


def main() -> None:
    torch.manual_seed(0)
    config = minformer.MinformerDecoderConfig(
        vocab_size=512, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
        bos_token_id=1, eos_token_id=2, pad_token_id=0,
    )
    model = minformer.MinformerDecoderForCausalLM(config).eval()
    print(f"built {type(model).__name__}: {model.num_parameters():,} parameters, attention={model.attention_backend}")

    prompt = torch.tensor([[1, 17, 42, 99, 7]])
    generated = model.generate(prompt, max_new_tokens=10, do_sample=False)
    print("greedy generation (untrained, so arbitrary ids):", generated[0].tolist())

    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        reloaded = AutoModelForCausalLM.from_pretrained(folder).eval()
        again = reloaded.generate(prompt, max_new_tokens=10, do_sample=False)
    same = torch.equal(generated, again)
    print(f"reloaded with AutoModelForCausalLM as {type(reloaded).__name__}; same generation: {same}")
    if not same:
        raise SystemExit("the reloaded model generated different tokens")


if __name__ == "__main__":
    main()
