"""Models for the lens tests: random tiny decoders and encoders, and the tiny decoder trained once per session on
the built-in corpus (shared with the training tests), copied so that a fitted lens never lands in the shared one."""

import shutil

import pytest
from transformers import AutoTokenizer

import minformer
from minformer.tokenization.families import for_family
from tests.conftest import decoder_config, encoder_config


def tiny_causal_lm(**overrides) -> minformer.MinformerDecoderForCausalLM:
    return minformer.MinformerDecoderForCausalLM(decoder_config(**overrides)).eval()


def tiny_encoder_model(**overrides) -> minformer.MinformerEncoderForMaskedLM:
    return minformer.MinformerEncoderForMaskedLM(encoder_config(**overrides)).eval()


@pytest.fixture
def trained_decoder(tiny_decoder, tmp_path):
    """A private copy of the session's trained tiny decoder (model and tokenizer, no checkpoints)."""
    return shutil.copytree(tiny_decoder, tmp_path / "decoder", ignore=shutil.ignore_patterns("checkpoint-*"))


@pytest.fixture(scope="session")
def encoder_folder(tiny_decoder, tmp_path_factory):
    """A random tiny encoder saved with an encoder tokenizer built from the trained decoder's BPE."""
    bpe = AutoTokenizer.from_pretrained(tiny_decoder).backend_tokenizer
    tokenizer = for_family(bpe, "encoder")
    folder = tmp_path_factory.mktemp("runs") / "encoder"
    tiny_encoder_model(vocab_size=len(tokenizer), position_embedding_type="learned").save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
