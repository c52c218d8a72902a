"""The tuned lens: it starts as the logit lens, fitting lowers its KL to the final layer without touching the model,
and it survives a save/load round trip (which never replaces a lens without being asked)."""

import json

import pytest
import torch

from minformer.lens import (
    TunedLens,
    fit_tuned_lens,
    has_tuned_lens,
    kl_per_layer,
    layer_logits,
    load_tuned_lens,
    read_lens_info,
    save_tuned_lens,
)
from minformer.lens.tuned_lens import INFO_FILE, LENS_FOLDER, WEIGHTS_FILE
from tests.lens.conftest import tiny_causal_lm

STEPS = 60


def _blocks(count=16, length=16, vocab=97):
    return torch.randint(3, vocab, (count, length), generator=torch.Generator().manual_seed(1))


def test_translators_start_at_zero_so_the_unfitted_lens_is_the_logit_lens():
    model = tiny_causal_lm(num_hidden_layers=3)
    lens = TunedLens.for_model(model)
    assert lens.num_hidden_layers == 3 and lens.hidden_size == 32
    assert all(p.abs().sum() == 0 for p in lens.parameters())
    input_ids = _blocks(2)
    torch.testing.assert_close(layer_logits(model, input_ids, lens), layer_logits(model, input_ids))
    h = torch.randn(2, 5, 32)
    assert torch.equal(lens(h, 3), h)  # the last layer has no translator


@pytest.mark.parametrize("norm_position", ["pre", "post"])
def test_fitting_lowers_each_layers_kl_on_the_training_text_and_leaves_the_model_alone(norm_position):
    model = tiny_causal_lm(norm_position=norm_position, initializer_range=0.2)  # confident, far from uniform
    before = {name: p.clone() for name, p in model.state_dict().items()}
    blocks = _blocks()
    lens = fit_tuned_lens(model, blocks, steps=STEPS, batch_size=4, learning_rate=1e-2, seed=0)
    logit_kl, tuned_kl = kl_per_layer(model, blocks), kl_per_layer(model, blocks, lens)
    assert logit_kl.shape == tuned_kl.shape == (3,)
    assert logit_kl[-1] == tuned_kl[-1] == 0  # the final layer against itself
    assert logit_kl[0] > 0.3 and logit_kl[1] > 0.3  # something to tune
    assert (tuned_kl <= logit_kl).all() and (tuned_kl[:-1] < 0.8 * logit_kl[:-1]).all(), (logit_kl, tuned_kl)
    assert all(torch.equal(before[name], p) for name, p in model.state_dict().items())
    assert all(p.requires_grad for p in model.parameters()) and not model.training
    again = fit_tuned_lens(model, blocks, steps=STEPS, batch_size=4, learning_rate=1e-2, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(lens.parameters(), again.parameters()))  # seeded


def test_save_load_round_trip_and_no_silent_overwrite(tmp_path):
    model = tiny_causal_lm()
    model.save_pretrained(tmp_path)
    lens = TunedLens.for_model(model)
    with torch.no_grad():
        for p in lens.parameters():
            p.normal_(std=0.05)
    assert not has_tuned_lens(tmp_path)
    folder = save_tuned_lens(lens, tmp_path, {"steps": 7, "text_source": "test"})
    assert folder == tmp_path / LENS_FOLDER and sorted(f.name for f in folder.iterdir()) == [WEIGHTS_FILE, INFO_FILE]
    info = json.loads((folder / INFO_FILE).read_text())
    assert info == read_lens_info(tmp_path) == {"num_hidden_layers": 2, "hidden_size": 32, "steps": 7,
                                                "text_source": "test"}
    loaded = load_tuned_lens(tmp_path, model)
    input_ids = _blocks(2)
    assert torch.equal(layer_logits(model, input_ids, loaded), layer_logits(model, input_ids, lens))

    saved = (folder / WEIGHTS_FILE).read_bytes()
    with pytest.raises(FileExistsError, match="already holds a tuned lens; pass --overwrite"):
        save_tuned_lens(TunedLens.for_model(model), tmp_path, {"steps": 1})
    assert (folder / WEIGHTS_FILE).read_bytes() == saved and read_lens_info(tmp_path)["steps"] == 7
    save_tuned_lens(TunedLens.for_model(model), tmp_path, {"steps": 1}, overwrite=True)
    assert read_lens_info(tmp_path)["steps"] == 1
    assert all(p.abs().sum() == 0 for p in load_tuned_lens(tmp_path, model).parameters())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no staging left behind


def test_loading_a_lens_of_another_shape_or_none_says_how_to_fit_one(tmp_path):
    small = tiny_causal_lm()
    small.save_pretrained(tmp_path)
    save_tuned_lens(TunedLens.for_model(small), tmp_path, {})
    with pytest.raises(ValueError, match=r"2 layers of size 32, but this model has 3 layers of size 32.*fit-lens"):
        load_tuned_lens(tmp_path, tiny_causal_lm(num_hidden_layers=3))
    with pytest.raises(ValueError, match=r"but this model has 2 layers of size 16"):
        load_tuned_lens(tmp_path, tiny_causal_lm(hidden_size=16, num_attention_heads=2))
    with pytest.raises(FileNotFoundError, match=r"has no tuned lens.*minformer fit-lens"):
        load_tuned_lens(tmp_path / "elsewhere", small)


def test_kl_per_layer_is_the_textbook_divergence_to_the_final_layer():
    model = tiny_causal_lm(num_hidden_layers=3, initializer_range=0.2)
    blocks = _blocks(5)
    logits = layer_logits(model, blocks)  # (L+1, B, T, V)
    final = torch.log_softmax(logits[-1], -1)
    expected = [torch.nn.functional.kl_div(torch.log_softmax(layer, -1), final, log_target=True,
                                           reduction="none").sum(-1).mean() for layer in logits]
    torch.testing.assert_close(kl_per_layer(model, blocks, batch_size=2), torch.stack(expected), atol=1e-5, rtol=1e-4)
