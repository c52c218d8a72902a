"""Tensor parallelism with transformers' own machinery: `from_pretrained(..., distributed_config=
DistributedConfig(tp_plan="auto"))` in 2 CPU processes (torchrun, gloo) shards every block by the config's
`base_model_tp_plan` and gives the single-process logits."""

import subprocess
import sys

import pytest
import torch
from transformers import AutoModel

import minformer
from tests.conftest import decoder_config, encoder_config

WORKER = r"""
import sys, torch, torch.distributed as dist
from torch.distributed.tensor import DTensor
from transformers import AutoModel
from transformers.distributed import DistributedConfig
import minformer
folder, out = sys.argv[1], sys.argv[2]
model = AutoModel.from_pretrained(folder, distributed_config=DistributedConfig(tp_plan="auto")).eval()
sharded = sorted(name for name, p in model.named_parameters() if isinstance(p, DTensor))
ids, mask = torch.load(folder + "/inputs.pt")
with torch.no_grad():
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
if dist.get_rank() == 0:
    torch.save({"world_size": dist.get_world_size(), "sharded": sharded, "hidden": hidden}, out)
dist.destroy_process_group()
"""

MODELS = {
    "decoder-rope": (minformer.MinformerDecoderModel, decoder_config, {}),
    "encoder-learned-glu-biases": (minformer.MinformerEncoderModel, encoder_config,
                                   dict(position_embedding_type="learned", mlp_type="glu", hidden_act="silu",
                                        attention_bias=True, mlp_bias=True)),
}


@pytest.mark.parametrize("name", MODELS)
def test_tp_plan_auto_in_two_processes_matches_one(name, tmp_path):
    model_class, make_config, overrides = MODELS[name]
    model = model_class(make_config(**overrides)).eval()
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    ids = torch.randint(3, 97, (2, 10))
    mask = torch.tensor([[1] * 10, [0] * 3 + [1] * 7])
    torch.save((ids, mask), folder / "inputs.pt")
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=mask).last_hidden_state

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), str(folder), str(tmp_path / "out.pt")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    result = torch.load(tmp_path / "out.pt")
    assert result["world_size"] == 2
    plan = model.config.base_model_tp_plan
    planned = {f"{pattern.replace('*', str(layer))}.weight" for pattern in plan
               for layer in range(model.config.num_hidden_layers)}
    assert planned <= set(result["sharded"]), sorted(planned - set(result["sharded"]))  # every planned weight
    torch.testing.assert_close(result["hidden"], expected, rtol=0, atol=1e-5)


def test_the_plan_names_only_modules_the_config_builds():
    for config in (decoder_config(), decoder_config(mlp_type="glu", hidden_act="silu", add_cross_attention=True),
                   encoder_config()):
        modules = {name for name, _ in AutoModel.from_config(config).named_modules()}
        for pattern in config.base_model_tp_plan:
            assert any(name == pattern.replace("*", str(i)) for name in modules
                       for i in range(config.num_hidden_layers)), pattern
