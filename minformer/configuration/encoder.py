"""Config of the bidirectional (BERT-like) encoder: the shared fields plus token types and the classifier."""

from .common import MinformerConfig


class MinformerEncoderConfig(MinformerConfig):
    """Configuration of `MinformerEncoderModel` and its masked-LM and classification heads."""

    model_type = "minformer_encoder"

    is_decoder: bool = False  # an encoder attends in both directions; must stay False
    # learned positions, as BERT: rope's extra work on queries and keys made training ~8% slower than
    # BertForMaskedLM at equal size (benchmarks/training_throughput.py, README), with learned 2% faster
    position_embedding_type: str = "learned"
    type_vocab_size: int = 0  # segment (token-type) embeddings, 2 for BERT; 0 means none
    # masked LM with labels: run the prediction head only on the labelled (masked) positions and return their
    # logits (N, V); the same loss for ~15% of the head's work (ModernBERT's "sparse prediction"). Opt-in, because
    # the logits' shape changes when labels are given.
    sparse_prediction: bool = False
    classifier_dropout: float | int | None = None  # dropout before classification heads; None means hidden_dropout_prob

    def check(self) -> None:
        super().check()
        if self.is_decoder:
            raise ValueError(
                "MinformerEncoderConfig: is_decoder=True is not an encoder; use MinformerDecoderConfig for a causal model."
            )
        if self.type_vocab_size < 0:
            raise ValueError(f"MinformerEncoderConfig: type_vocab_size must be >= 0, got {self.type_vocab_size}.")
