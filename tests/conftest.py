"""Test setup: offline, a private HF_HOME, deterministic seeds, and tiny configs shared by the tests."""

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_EVALUATE_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="minformer-test-hf-home-"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402

import minformer  # noqa: E402

TINY = dict(vocab_size=97, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=64)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def decoder_config(**overrides) -> minformer.MinformerDecoderConfig:
    return minformer.MinformerDecoderConfig(**{**TINY, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
                                               **overrides})


def encoder_config(**overrides) -> minformer.MinformerEncoderConfig:
    return minformer.MinformerEncoderConfig(**{**TINY, "pad_token_id": 0, **overrides})


# Architecture variants every model-level test runs on: each positional encoding, norm, placement and MLP kind.
VARIANTS = {
    "rope-pre-layernorm": {},
    "learned-post-rmsnorm": dict(position_embedding_type="learned", norm_position="post", norm_type="rmsnorm"),
    "sinusoidal-pre-glu": dict(position_embedding_type="sinusoidal", mlp_type="glu", hidden_act="silu",
                               embedding_norm=True, attention_bias=False, mlp_bias=False),
    # the training recipe's components (issue 17): QK-norm, ReLU², untied embeddings
    "rope-qknorm-relu2-untied": dict(norm_type="rmsnorm", qk_norm=True, hidden_act="relu2", tie_word_embeddings=False,
                                     attention_bias=False, mlp_bias=False),
}


# Tiny models pretrained on the built-in corpus once per session, for the training, CLI, Hub and lens tests. They live
# here, in the root conftest, so that every folder shares one instance (a fixture imported into two conftest files
# would be trained twice).
@pytest.fixture(scope="session")
def tiny_decoder(tmp_path_factory):
    from minformer.cli.main import main
    from tests.training.conftest import pretrain_args

    output = tmp_path_factory.mktemp("runs") / "decoder"
    assert main(pretrain_args("decoder", output)) == 0
    return output


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    from minformer.cli.main import main
    from tests.training.conftest import pretrain_args

    output = tmp_path_factory.mktemp("runs") / "encoder"
    assert main(pretrain_args("encoder", output)) == 0
    return output
