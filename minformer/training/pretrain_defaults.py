"""What `minformer pretrain` (and the demo) train when no flag says otherwise, per family: the architecture components
on top of the config classes' textbook defaults, the optimiser and its peak learning rate. Each choice comes from the
ablations of `benchmarks/quality.py` (decoder) and `benchmarks/quality_encoder.py` (encoder): the README's "Quality
per token" section has the numbers. Every component stays a config field, so a saved model says what it is."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PretrainDefaults:
    architecture: dict = field(default_factory=dict)  # config fields that differ from the config class's defaults
    optimizer: str = "adamw"
    learning_rate: float = 1e-3
    mlm_probability: float = 0.15  # encoder: the share of tokens masked in training (validation always masks 15%)


PRETRAIN_DEFAULTS = {
    # ReLU², zero-init residual, untied embeddings and Muon each lowered the loss on their own; QK-norm alone did not,
    # but removing it from the recipe raised the loss by 3%; removing soft-capped logits (an option since dropped) or
    # RMSNorm without biases lowered it (benchmarks/results/quality*.json, the README's tables)
    "decoder": PretrainDefaults(architecture=dict(qk_norm=True, hidden_act="relu2", zero_init_residual=True,
                                                  tie_word_embeddings=False), optimizer="muon", learning_rate=3e-3),
    # the decoder's recipe with rotary positions, and 30% of the tokens masked: after 819k tokens the masked-LM loss
    # is 23% below a unigram model's where BertForMaskedLM's is still on it (quality_encoder.json)
    # Sparse prediction (the masked-LM head on the masked tokens only) gives the same loss for less work.
    "encoder": PretrainDefaults(architecture=dict(position_embedding_type="rope", qk_norm=True, hidden_act="relu2",
                                                  zero_init_residual=True, tie_word_embeddings=False,
                                                  sparse_prediction=True),
                                optimizer="muon", learning_rate=3e-3, mlm_probability=0.3),
}
OTHER_RUNS = PretrainDefaults()  # the other training commands, where their flags leave optimiser and rate unset
