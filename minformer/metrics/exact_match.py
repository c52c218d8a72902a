"""Exact match of generated and reference texts, shipped with minformer so that `evaluate` loads it by path."""

import datasets
import evaluate


class ExactMatch(evaluate.Metric):
    """The fraction of predictions identical to their reference after stripping surrounding whitespace."""

    def _info(self):
        return evaluate.MetricInfo(
            description="Exact match: identical (whitespace-stripped) prediction and reference / all pairs.",
            citation="",
            inputs_description="predictions and references: lists of strings of the same length.",
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        if len(predictions) == 0:
            raise ValueError("exact match of no predictions is undefined")
        same = sum(p.strip() == r.strip() for p, r in zip(predictions, references))
        return {"exact_match": same / len(predictions)}
