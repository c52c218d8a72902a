"""Every folder minformer's models save is self-contained: it carries the model code and `auto_map`, so any tool
loads it with `trust_remote_code=True` in a process where minformer is not installed, and saves it on again."""

import json

import pytest
import torch
import transformers

import minformer
from minformer.hub.remote_code import AUTO_MAP
from tests.conftest import VARIANTS, decoder_config, encoder_config
from tests.without_minformer import run_without_minformer

IDS = torch.tensor([[5, 17, 42, 9, 3, 77, 21, 8]])

# loads every head of every folder with the Auto classes, records its logits, then saves each model again (as the
# remote-code classes do) and checks that the re-saved folder loads and gives the same logits
LOADER = r"""
import json, torch, transformers
heads, ids, out = json.loads(sys.argv[1]), torch.tensor(json.loads(sys.argv[2])), sys.argv[3]
def output_of(model):
    with torch.no_grad():
        output = model(ids)
    return output.logits if hasattr(output, "logits") else output.last_hidden_state
logits = {}
for key, (auto_name, folder) in heads.items():
    auto = getattr(transformers, auto_name)
    model = auto.from_pretrained(folder, trust_remote_code=True).eval()
    assert type(model).__module__.startswith("transformers_modules."), type(model).__module__
    logits[key] = output_of(model)
    model.save_pretrained(folder + "-again")
    assert torch.equal(output_of(auto.from_pretrained(folder + "-again", trust_remote_code=True).eval()), logits[key])
torch.save(logits, out)
"""

RECIPE = VARIANTS["rope-qknorm-relu2-untied"]  # the code paths of every optional component
FAMILIES = {"minformer_encoder": (encoder_config, "MinformerEncoder"),
            "minformer_decoder": (decoder_config, "MinformerDecoder")}


def models_of(model_type):
    """(Auto class name, minformer class) for every head of a family."""
    return [(auto, getattr(minformer, path.rsplit(".", 1)[1])) for auto, path in AUTO_MAP[model_type].items()
            if auto != "AutoConfig"]


def test_every_head_loads_without_minformer_and_saves_on(tmp_path):
    heads, expected = {}, {}
    for model_type, (make_config, _) in FAMILIES.items():
        for auto, model_class in models_of(model_type):
            key = f"{model_type}-{auto}"
            model = model_class(make_config(num_labels=3, **RECIPE)).eval()
            folder = tmp_path / key
            model.save_pretrained(folder)
            with torch.no_grad():
                output = model(IDS)
            expected[key] = output.logits if hasattr(output, "logits") else output.last_hidden_state
            heads[key] = (auto, str(folder))
    out = tmp_path / "logits.pt"
    run_without_minformer(LOADER, json.dumps(heads), json.dumps(IDS.tolist()), str(out), cwd=tmp_path)
    logits = torch.load(out)
    assert set(logits) == set(expected)
    for key in expected:
        torch.testing.assert_close(logits[key], expected[key], rtol=0, atol=1e-6, msg=key)


@pytest.mark.parametrize("model_type", FAMILIES)
def test_saved_folder_holds_the_code_and_auto_map(tmp_path, model_type):
    make_config, _ = FAMILIES[model_type]
    auto, model_class = models_of(model_type)[-1]
    model_class(make_config()).save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["auto_map"][auto] == f"modeling_minformer_{model_type.split('_')[1]}.{model_class.__name__}"
    for module in config["auto_map"].values():
        assert (tmp_path / f"{module.split('.')[0]}.py").is_file()
    # with minformer imported and no trust_remote_code, the installed classes load it, not the folder's copy
    loaded = getattr(transformers, auto).from_pretrained(tmp_path)
    assert type(loaded) is model_class


def test_a_non_main_process_writes_no_code(tmp_path):
    minformer.MinformerDecoderForCausalLM(decoder_config()).save_pretrained(tmp_path, is_main_process=False)
    assert not list(tmp_path.glob("*.py"))


def test_training_runs_and_their_checkpoints_are_self_contained(tiny_decoder):
    checkpoints = list(tiny_decoder.glob("checkpoint-*"))
    assert checkpoints
    for folder in [tiny_decoder, *checkpoints]:
        config = json.loads((folder / "config.json").read_text())
        assert "AutoModelForCausalLM" in config["auto_map"], folder
        assert (folder / "modeling_minformer_decoder.py").is_file(), folder
