"""Config of the bidirectional (BERT-like) encoder: the shared fields plus the masked-LM and classifier options."""

from transformers.configuration_utils import strict

from .common import MinformerConfig


@strict
class MinformerEncoderConfig(MinformerConfig):
    """Configuration of `MinformerEncoderModel` and its masked-LM and classification heads."""

    model_type = "minformer_encoder"

    is_decoder: bool = False  # an encoder attends in both directions; must stay False
    # learned positions, as BERT: rope's extra work on queries and keys made training ~8% slower than
    # BertForMaskedLM at equal size (benchmarks/training_throughput.py, README), with learned 2% faster
    position_embedding_type: str = "learned"
    # masked LM with labels: run the prediction head only on the labelled (masked) positions and return their
    # logits (N, V); the same loss for ~15% of the head's work (ModernBERT's "sparse prediction"). Opt-in, because
    # the logits' shape changes when labels are given.
    sparse_prediction: bool = False
    # batches with padding: run the projections and feed-forward networks on the real tokens only, packed into one
    # sequence, and attention per text (ModernBERT's unpadding; modeling/unpadding.py). The same results at the real
    # tokens; the final hidden states at padding positions are zeros. Left-padded batches keep the padded path.
    padding_free: bool = True
    classifier_dropout: float | int | None = None  # dropout before classification heads; None means hidden_dropout_prob
    classifier_pooling: str = "cls"  # sequence classifier's input: "cls" (first token, BERT) or "mean" (real tokens)

    def validate_architecture(self) -> None:
        super().validate_architecture()
        if self.classifier_pooling not in ("cls", "mean"):
            raise ValueError(f"MinformerEncoderConfig: unknown classifier_pooling={self.classifier_pooling!r}; use "
                             "'cls' or 'mean'.")
        if self.is_decoder:
            raise ValueError(
                "MinformerEncoderConfig: is_decoder=True is not an encoder; use MinformerDecoderConfig for a causal model."
            )
