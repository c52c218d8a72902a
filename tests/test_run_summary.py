"""summary.json: the flat numbers scripts read and the typed record the model card reads, round-tripped."""

import json

from minformer.run_summary import RunSummary, Score


def test_summary_round_trips_through_summary_json(tmp_path):
    scores = [Score("test_bleu", "test BLEU", "bleu", "test", "text2text-generation", 0.25),
              Score("copy_baseline_bleu", "test BLEU", "bleu", "test", "text2text-generation", 0.1,
                    baseline="copying the input")]
    summary = RunSummary(steps=10, tokens_seen=640, train_seconds=1.5, tokens_per_second=426.7, total_seconds=3.0,
                         scores=scores, data="local files: pairs.jsonl", base_model="runs/encoder", parameters=1234,
                         details={"examples": [{"source": "a b", "prediction": "b a", "target": "b a"}]})
    summary.write(tmp_path)
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["test_bleu"] == 0.25 and saved["copy_baseline_bleu"] == 0.1 and saved["steps"] == 10  # flat view
    assert RunSummary.read(tmp_path) == summary  # and the typed record, field for field
    assert [s.key for s in summary.model_scores()] == ["test_bleu"]
    assert [s.baseline for s in summary.baseline_scores()] == ["copying the input"]
    assert RunSummary.read(tmp_path / "missing") is None


def test_a_summary_minformer_did_not_write_is_no_record(tmp_path):
    (tmp_path / "summary.json").write_text('{"accuracy": 0.9}')  # no steps, no scores: someone else's file
    assert RunSummary.read(tmp_path) is None
    (tmp_path / "summary.json").write_text("not json")
    assert RunSummary.read(tmp_path) is None
