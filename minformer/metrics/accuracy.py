"""Accuracy, shipped with minformer so that `evaluate` loads it by path, offline."""

import datasets
import evaluate


class Accuracy(evaluate.Metric):
    """The fraction of predictions equal to their references."""

    def _info(self):
        return evaluate.MetricInfo(
            description="Accuracy: correct predictions / all predictions.",
            citation="",
            inputs_description="predictions and references: lists of integer class ids of the same length.",
            features=datasets.Features({"predictions": datasets.Value("int64"),
                                        "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        if len(predictions) == 0:
            raise ValueError("accuracy of no predictions is undefined")
        correct = sum(int(p == r) for p, r in zip(predictions, references))
        return {"accuracy": correct / len(predictions)}
