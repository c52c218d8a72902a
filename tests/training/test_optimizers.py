"""`--optimizer muon`: torch's Muon on the blocks' weight matrices and AdamW on the rest, as one optimiser the
Trainer schedules, clips, checkpoints and resumes (exactly); a checkpoint of the other optimiser is refused by name."""

import copy
import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

import minformer
from minformer.cli.main import main
from minformer.training.optimizers import MuonFactory, MuonWithAdamW, muon_parameter_names
from tests.conftest import decoder_config, encoder_config
from tests.training.conftest import pretrain_args


def trained(model, optimizer, ids, steps=3):
    for _ in range(steps):
        model(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad()


@pytest.mark.parametrize("make_config", [decoder_config, encoder_config], ids=["decoder", "encoder"])
def test_muon_takes_the_blocks_matrices_and_adamw_everything_else(make_config):
    model_class = minformer.MinformerDecoderForCausalLM if make_config is decoder_config else \
        minformer.MinformerEncoderForMaskedLM
    model = model_class(make_config(mlp_type="glu", tie_word_embeddings=False))
    names = {parameter: name for name, parameter in model.named_parameters()}
    optimizer = MuonFactory()(model, lr=1e-3, weight_decay=0.1)
    muon = [names[p] for group in optimizer.param_groups if group["muon"] for p in group["params"]]
    assert sorted(muon) == sorted(muon_parameter_names(model))
    assert len(muon) == 2 * 7  # 2 layers x q, k, v, o, up, gate, down
    adamw = {names[p]: group["weight_decay"] for group in optimizer.param_groups if not group["muon"]
             for p in group["params"]}
    assert set(adamw) | set(muon) == set(names.values()) and not set(adamw) & set(muon)
    assert adamw["model.embeddings.embed_tokens.weight"] == 0.1  # matrices decay, biases and norms do not
    assert all(decay == 0.0 for name, decay in adamw.items() if name.endswith("bias") or "norm" in name)


def test_one_step_is_torch_muon_on_the_matrices_and_adamw_on_the_rest():
    model = minformer.MinformerDecoderForCausalLM(decoder_config())
    reference = copy.deepcopy(model)
    ids = torch.randint(3, 97, (2, 12))
    trained(model, MuonFactory()(model, lr=1e-2, weight_decay=0.1), ids)
    hidden = muon_parameter_names(reference)
    named = dict(reference.named_parameters())
    muon = torch.optim.Muon([named[n] for n in sorted(hidden)], lr=1e-2, weight_decay=0.1,
                            adjust_lr_fn="match_rms_adamw")
    adamw = torch.optim.AdamW([{"params": [p for n, p in named.items() if n not in hidden and p.ndim >= 2]},
                               {"params": [p for n, p in named.items() if n not in hidden and p.ndim < 2],
                                "weight_decay": 0.0}], lr=1e-2, weight_decay=0.1)
    for _ in range(3):
        reference(input_ids=ids, labels=ids).loss.backward()
        muon.step(), adamw.step()
        muon.zero_grad(), adamw.zero_grad()
    for (name, actual), expected in zip(model.named_parameters(), reference.parameters()):
        torch.testing.assert_close(actual, expected, rtol=0, atol=0, msg=name)


def test_state_dict_round_trip_continues_exactly(tmp_path):
    model = minformer.MinformerDecoderForCausalLM(decoder_config())
    optimizer = MuonFactory()(model, lr=1e-2, weight_decay=0.1)
    ids = torch.randint(3, 97, (2, 12))
    trained(model, optimizer, ids)
    torch.save(optimizer.state_dict(), tmp_path / "optimizer.pt")
    copy_model = copy.deepcopy(model)
    restored = MuonFactory()(copy_model, lr=5.0, weight_decay=0.5)  # the saved groups' settings come back
    restored.load_state_dict(torch.load(tmp_path / "optimizer.pt", weights_only=True))
    assert isinstance(restored, MuonWithAdamW) and restored.param_groups[0]["lr"] == 1e-2
    kinds = {key for state in restored.state.values() for key in state}
    assert kinds == {"momentum_buffer", "exp_avg", "exp_avg_sq", "step"}  # Muon's and AdamW's state
    trained(model, optimizer, ids)
    trained(copy_model, restored, ids)
    for actual, expected in zip(copy_model.parameters(), model.parameters()):
        torch.testing.assert_close(actual, expected, rtol=0, atol=0)


def test_pretrain_with_muon_resumes_exactly_and_refuses_the_other_optimizer(tmp_path, capsys):
    muon = ["--optimizer", "muon", "--save-steps", "10", "--eval-steps", "100"]
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    assert main(pretrain_args("decoder", full, steps=20, extra=muon)) == 0
    state = torch.load(full / "checkpoint-10" / "optimizer.pt", weights_only=True)
    assert [group["muon"] for group in state["param_groups"]].count(True) == 1
    # a run stopped after checkpoint-10: resumed, it ends where the uninterrupted run ended
    resumed.mkdir()
    shutil.copytree(full / "checkpoint-10", resumed / "checkpoint-10")
    capsys.readouterr()
    assert main(pretrain_args("decoder", resumed, steps=20, extra=[*muon, "--optimizer", "adamw", "--resume"])) == 2
    assert "was trained with --optimizer muon, not adamw: resume with --optimizer muon" in capsys.readouterr().err
    assert main(pretrain_args("decoder", resumed, steps=20, extra=[*muon, "--resume"])) == 0
    weights, expected = load_file(resumed / "model.safetensors"), load_file(full / "model.safetensors")
    for name in expected:
        torch.testing.assert_close(weights[name], expected[name], rtol=0, atol=1e-6, msg=name)
    assert json.loads((resumed / "summary.json").read_text())["steps"] == 20
