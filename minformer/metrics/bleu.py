"""Corpus BLEU-4 on whitespace-separated words (Papineni et al., 2002), shipped with minformer for offline use."""

import collections
import math

import datasets
import evaluate

MAX_ORDER = 4


def _ngrams(words: list[str], order: int) -> collections.Counter:
    return collections.Counter(tuple(words[i:i + order]) for i in range(len(words) - order + 1))


class Bleu(evaluate.Metric):
    """Geometric mean of clipped 1- to 4-gram precisions over the corpus, times the brevity penalty; an n-gram
    order with no match contributes 1/(2·total) instead of 0 (the "add-epsilon" smoothing of short corpora)."""

    def _info(self):
        return evaluate.MetricInfo(
            description="Corpus-level BLEU-4 with a brevity penalty, on whitespace tokens, in [0, 1].",
            citation="Papineni et al., 2002. BLEU: a Method for Automatic Evaluation of Machine Translation.",
            inputs_description="predictions and references: lists of strings of the same length.",
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        matches, totals = [0] * MAX_ORDER, [0] * MAX_ORDER
        prediction_length = reference_length = 0
        for prediction, reference in zip(predictions, references):
            hypothesis, truth = prediction.split(), reference.split()
            prediction_length += len(hypothesis)
            reference_length += len(truth)
            for order in range(1, MAX_ORDER + 1):
                predicted, true = _ngrams(hypothesis, order), _ngrams(truth, order)
                matches[order - 1] += sum(min(count, true[gram]) for gram, count in predicted.items())
                totals[order - 1] += max(len(hypothesis) - order + 1, 0)
        if prediction_length == 0:
            return {"bleu": 0.0}
        precisions = [(m if m else 0.5) / t if t else 0.0 for m, t in zip(matches, totals)]
        if min(precisions) == 0:
            return {"bleu": 0.0}
        brevity = 1.0 if prediction_length > reference_length else math.exp(1 - reference_length / prediction_length)
        return {"bleu": brevity * math.exp(sum(math.log(p) for p in precisions) / MAX_ORDER)}
