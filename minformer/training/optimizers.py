"""The optimisers `--optimizer` picks: AdamW (the Trainer's default), or Muon for the hidden weight matrices.

Muon (Jordan et al., 2024; `torch.optim.Muon`) orthogonalises each 2-D update with a few Newton-Schulz iterations,
so every direction of a matrix moves at the same rate. It is for the matrices inside the blocks only: embeddings,
heads, norms and biases keep AdamW. Its step size follows AdamW's (`adjust_lr_fn="match_rms_adamw"`: updates of
AdamW's typical RMS, 0.2; Liu et al., 2025, "Muon is Scalable for LLM Training"), so one `--learning-rate` and one
schedule drive both.

The two are one `torch.optim.Optimizer` (`MuonWithAdamW`), so the Trainer's scheduler, gradient clipping, accelerate
and checkpoints see a single optimiser with one state dict; `MuonFactory` builds it from the model, through the
Trainer's optimizer-factory mechanism (`optimizer_cls_and_kwargs`).
"""

import torch
from torch import nn

OPTIMIZERS = ("adamw", "muon")


def muon_parameter_names(model: nn.Module) -> set[str]:
    """The weight matrices inside the blocks (`...stack.layers.N...weight`, 2-D): attention and MLP projections."""
    return {name for name, parameter in model.named_parameters()
            if parameter.requires_grad and parameter.ndim == 2 and ".stack.layers." in f".{name}"}


class MuonWithAdamW(torch.optim.Optimizer):
    """Muon on the groups marked `muon=True`, AdamW on the others: one optimiser, one state dict."""

    def __init__(self, param_groups: list[dict], lr: float, weight_decay: float, betas: tuple[float, float] = (0.9,
                 0.999), eps: float = 1e-8, momentum: float = 0.95):
        super().__init__(param_groups, dict(lr=lr, weight_decay=weight_decay, muon=False))
        muon = [group for group in self.param_groups if group["muon"]]
        adamw = [group for group in self.param_groups if not group["muon"]]
        if not muon:
            raise ValueError("Muon found no hidden weight matrices to optimise; use --optimizer adamw.")
        # the inner optimisers work on this optimiser's own group dicts and state, so both are saved and loaded here
        self.parts = [torch.optim.Muon(muon, lr=lr, weight_decay=weight_decay, momentum=momentum,
                                       adjust_lr_fn="match_rms_adamw")]
        if adamw:
            self.parts.append(torch.optim.AdamW(adamw, lr=lr, weight_decay=weight_decay, betas=betas, eps=eps))
        self._connect()

    def _connect(self) -> None:
        """Point the inner optimisers at this one's groups and state (again after `load_state_dict` replaced them)."""
        groups = iter([group for group in self.param_groups if group["muon"]]
                      + [group for group in self.param_groups if not group["muon"]])
        for part in self.parts:
            part.param_groups = [next(groups) for _ in part.param_groups]
            part.state = self.state

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self._connect()

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for part in self.parts:
            part.step()
        return loss


class MuonFactory:
    """`Trainer(optimizer_cls_and_kwargs=(MuonFactory, kwargs))`: the Trainer calls `MuonFactory()(model, **kwargs)`.
    Weight decay goes to the matrices (Muon's and the embeddings'), not to biases and norms, as the Trainer does."""

    def __call__(self, model: nn.Module, lr: float, weight_decay: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> MuonWithAdamW:
        hidden = muon_parameter_names(model)
        trained = [(name, parameter) for name, parameter in model.named_parameters() if parameter.requires_grad]
        groups = [
            {"params": [p for n, p in trained if n in hidden], "muon": True, "weight_decay": weight_decay},
            {"params": [p for n, p in trained if n not in hidden and p.ndim >= 2], "muon": False,
             "weight_decay": weight_decay},
            {"params": [p for n, p in trained if n not in hidden and p.ndim < 2], "muon": False, "weight_decay": 0.0},
        ]
        return MuonWithAdamW([group for group in groups if group["params"]], lr=lr, weight_decay=weight_decay,
                             betas=betas, eps=eps)


def optimizer_cls_and_kwargs(name: str, args) -> tuple[type, dict] | None:
    """The Trainer's `optimizer_cls_and_kwargs` for `--optimizer NAME` with TrainingArguments `args` (None: the
    Trainer's own AdamW)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; use one of {', '.join(OPTIMIZERS)}.")
    if name == "adamw":
        return None
    return MuonFactory, dict(lr=args.learning_rate, weight_decay=args.weight_decay,
                             betas=(args.adam_beta1, args.adam_beta2), eps=args.adam_epsilon)
