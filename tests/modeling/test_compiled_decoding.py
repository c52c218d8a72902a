"""The compiled decoding path (`minformer.compile_decoding`: static cache + torch.compile of the decoding step)
gives the plain path's tokens, token for token, in the model, the CLI and a pipeline."""

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, StaticCache, pipeline

import minformer
from minformer.cli.main import main
from tests.conftest import decoder_config

PAD = 0


def left_padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    prompts = [torch.randint(3, 97, (n,)) for n in (3, 7, 5)]
    batch = torch.full((3, 7), PAD)
    mask = torch.zeros(3, 7, dtype=torch.long)
    for row, prompt in enumerate(prompts):
        batch[row, 7 - len(prompt):], mask[row, 7 - len(prompt):] = prompt, 1
    return batch, mask


@pytest.mark.parametrize("variant", [{}, dict(position_embedding_type="learned", qk_norm=True, norm_type="rmsnorm")])
def test_compiled_decoding_generates_the_plain_paths_tokens(variant):
    lm = minformer.MinformerDecoderForCausalLM(decoder_config(**variant)).eval()
    lm.generation_config.eos_token_id = None  # every step runs
    batch, mask = left_padded_batch()
    plain = lm.generate(batch, attention_mask=mask, max_new_tokens=12, do_sample=False, pad_token_id=PAD)
    minformer.compile_decoding(lm)
    for _ in range(2):  # the second call reuses the compiled step
        compiled = lm.generate(batch, attention_mask=mask, max_new_tokens=12, do_sample=False, pad_token_id=PAD,
                               return_dict_in_generate=True)
        assert isinstance(compiled.cache if hasattr(compiled, "cache") else compiled.past_key_values, StaticCache)
        assert torch.equal(compiled.sequences, plain)
    assert getattr(lm, "_compiled_call", None) is not None, "the decoding step was not compiled"


def test_cli_and_pipeline_compiled_give_the_plain_text(tiny_decoder, capsys):
    arguments = ["generate", str(tiny_decoder), "Return the", "The", "--greedy", "--max-new-tokens", "6"]
    assert main(arguments) == 0
    plain = capsys.readouterr().out
    assert main([*arguments, "--compile"]) == 0
    assert capsys.readouterr().out == plain

    tokenizer = AutoTokenizer.from_pretrained(tiny_decoder)
    model = AutoModelForCausalLM.from_pretrained(tiny_decoder).eval()
    generator = pipeline("text-generation", model=model, tokenizer=tokenizer)
    expected = generator("Return the", max_new_tokens=6, do_sample=False)
    minformer.compile_decoding(model)
    assert generator("Return the", max_new_tokens=6, do_sample=False) == expected
    assert model.generation_config.cache_implementation == "static"
