"""Perplexity from summed negative log-likelihoods, shipped with minformer so that `evaluate` loads it by path."""

import math

import datasets
import evaluate


class Perplexity(evaluate.Metric):
    """exp(total NLL / total predicted tokens), with the NLL in nats; batches are weighted by their token counts."""

    def _info(self):
        return evaluate.MetricInfo(
            description="Perplexity = exp(mean negative log-likelihood per predicted token).",
            citation="",
            inputs_description="predictions: the summed NLL (nats) of a batch; references: its number of tokens.",
            features=datasets.Features({"predictions": datasets.Value("float64"),
                                        "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        tokens = sum(references)
        if tokens == 0:
            raise ValueError("perplexity of no tokens is undefined")
        mean_nll = sum(predictions) / tokens
        return {"perplexity": math.exp(mean_nll), "mean_nll": mean_nll, "tokens": tokens}
