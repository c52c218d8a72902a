"""Training FLOP/s measured on this machine: what turns a FLOP budget into hours (and hours into a budget)."""

import time

import torch

from ..configuration import MinformerDecoderConfig
from .flops import parameter_count, training_flops_per_token
from .planner import closest_decoder_config

LARGEST_MEASURED = 50_000_000  # bigger configs are timed through a config of this size (same proportions)


def measure_training_flops_per_second(config: MinformerDecoderConfig, block_size: int, batch_size: int = 8,
                                      steps: int = 3, device: str | torch.device | None = None,
                                      family: str = "decoder", architecture: dict | None = None,
                                      optimizer: str = "adamw") -> tuple[float, MinformerDecoderConfig]:
    """Median FLOP/s of `steps` training steps (forward, backward, AdamW, after one warm-up step) of `config`, or
    of a config of LARGEST_MEASURED parameters when `config` is bigger, on `device` (default: the GPU if there is
    one, as the Trainer would train); returns it with the config timed. `family="encoder"` times the masked-LM
    encoder of the same sizes (its head costs more per token); the FLOPs are counted as the decoder's either way, so
    the result converts the planner's FLOPs into this family's seconds. `architecture` (config fields) and
    `optimizer` ("adamw" or "muon") time the model and optimiser a run will train (pretrain_defaults.py)."""
    from ..configuration import MinformerEncoderConfig
    from ..modeling import MinformerDecoderForCausalLM, MinformerEncoderForMaskedLM

    if parameter_count(config) > LARGEST_MEASURED:
        config = closest_decoder_config(LARGEST_MEASURED, config.vocab_size, block_size)
    torch.manual_seed(0)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    sizes = {key: getattr(config, key) for key in ("vocab_size", "hidden_size", "num_hidden_layers",
                                                   "num_attention_heads", "intermediate_size",
                                                   "max_position_embeddings")}
    model_class, config_class = ((MinformerEncoderForMaskedLM, MinformerEncoderConfig) if family == "encoder" else
                                 (MinformerDecoderForCausalLM, MinformerDecoderConfig))
    timed = config if family == "decoder" and not architecture else config_class(**sizes, **(architecture or {}))
    model = model_class(timed).to(device).train()
    if optimizer == "muon":
        from ..training.optimizers import MuonFactory

        optimizer = MuonFactory()(model, lr=1e-4, weight_decay=0.01)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, config.vocab_size, (batch_size, block_size), device=device)
    times = []
    for _ in range(steps + 1):
        began = time.perf_counter()
        model(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)  # kernels run asynchronously: wait before reading the clock
        times.append(time.perf_counter() - began)
    seconds = sorted(times[1:])[len(times[1:]) // 2]
    return batch_size * block_size * training_flops_per_token(config, block_size) / seconds, config
