"""Macro-averaged F1, shipped with minformer so that `evaluate` loads it by path, offline."""

import datasets
import evaluate


class F1(evaluate.Metric):
    """F1 per class (2·precision·recall / (precision + recall), 0 when undefined), averaged over the classes that
    occur in the references or the predictions (scikit-learn's macro average)."""

    def _info(self):
        return evaluate.MetricInfo(
            description="Macro-averaged F1 over classes.",
            citation="",
            inputs_description="predictions and references: lists of integer class ids of the same length.",
            features=datasets.Features({"predictions": datasets.Value("int64"),
                                        "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        scores = []
        for label in sorted(set(predictions) | set(references)):
            true_positive = sum(1 for p, r in zip(predictions, references) if p == label and r == label)
            predicted = sum(1 for p in predictions if p == label)
            actual = sum(1 for r in references if r == label)
            precision = true_positive / predicted if predicted else 0.0
            recall = true_positive / actual if actual else 0.0
            scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        return {"f1": sum(scores) / len(scores) if scores else 0.0}
