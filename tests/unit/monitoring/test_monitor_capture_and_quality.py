"""Capture records, ground-truth merging, model-quality metrics, cron expressions and whole
analyzer runs in-process."""

from __future__ import annotations

import base64
import datetime as dt
import json

import numpy as np
import pytest
from sklearn import metrics

from sagecraft.core.errors import ValidationException
from sagecraft.executors.algorithms.model_monitor import analyzer, capture, model_quality
from sagecraft.executors.algorithms.model_monitor.quality_inputs import Attributes, from_capture, read_ground_truth
from sagecraft.services.monitoring import cron

UTC = dt.timezone.utc


def _record(data: str, output: str, when: str, inference_id: str | None = None, encoding: str = "CSV",
            content_type: str = "text/csv") -> str:
    meta = {"eventId": f"event-{when}-{data}", "inferenceTime": when}
    if inference_id:
        meta["inferenceId"] = inference_id
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": content_type, "mode": "INPUT", "data": data, "encoding": encoding},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": output, "encoding": "CSV"}},
        "eventMetadata": meta, "eventVersion": "0"})


def test_capture_records_become_named_rows_within_the_window(tmp_path):
    lines = [_record("1,2", "0.9", "2026-01-01T10:05:00Z"),
             _record(base64.b64encode(b"3,4\n5,6").decode(), "0.1\n0.2", "2026-01-01T10:30:00Z", encoding="BASE64"),
             _record('{"x": 7, "y": {"z": 8}}', "0.5", "2026-01-01T10:40:00Z", encoding="JSON",
                     content_type="application/json"),
             _record("9,10", "0.3", "2026-01-01T11:00:00Z")]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    records = capture.read_records(tmp_path, dt.datetime(2026, 1, 1, 10, tzinfo=UTC), dt.datetime(2026, 1, 1, 11,
                                                                                                 tzinfo=UTC))
    rows = capture.named_rows(records, ["label", "f1", "f2"], "START", None)
    assert rows == [{"label": "0.9", "f1": "1", "f2": "2"}, {"label": "0.1", "f1": "3", "f2": "4"},
                    {"label": "0.2", "f1": "5", "f2": "6"}, {"x": 7, "y.z": 8}]
    plain = capture.named_rows(capture.read_records(tmp_path), [], "START", None)
    assert plain[0] == {"_c0": "1", "_c1": "2"} and len(plain) == 5


def test_a_record_preprocessor_shapes_the_records(tmp_path):
    (tmp_path / "a.jsonl").write_text(_record("1,2", "0.9", "2026-01-01T10:05:00Z") + "\n")
    rows = capture.named_rows(capture.read_records(tmp_path), [], "START",
                              lambda r: {"sum": sum(map(float, r.endpoint_input.data.split(",")))})
    assert rows == [{"sum": 3.0}]


def test_ground_truth_joins_on_inference_id_then_event_id(tmp_path):
    (tmp_path / "capture").mkdir()
    (tmp_path / "truth").mkdir()
    lines = [_record("1", "0.8", "2026-01-01T10:00:00Z", inference_id="a"),
             _record("2", "0.3", "2026-01-01T10:01:00Z", inference_id="b"),
             _record("3", "0.6", "2026-01-01T10:02:00Z")]
    (tmp_path / "capture" / "c.jsonl").write_text("\n".join(lines))
    truth = [{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "a"},
              "eventVersion": "0"},
             {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "b"},
              "eventVersion": "0"},
             {"groundTruthData": {"data": "0", "encoding": "CSV"},
              "eventMetadata": {"eventId": "event-2026-01-01T10:02:00Z-3"}, "eventVersion": "0"}]
    (tmp_path / "truth" / "t.jsonl").write_text("\n".join(json.dumps(t) for t in truth))
    triples = from_capture(capture.read_records(tmp_path / "capture"), read_ground_truth(tmp_path / "truth"),
                           Attributes(None, "0", 0.5, None))
    assert triples.truth.tolist() == [1.0, 1.0, 0.0] and triples.predicted.tolist() == [1.0, 0.0, 1.0]


def test_binary_metrics_equal_scikit_learn():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 300).astype(float)
    scores = np.clip(truth * 0.4 + rng.random(300) * 0.6, 0, 1)
    guess = (scores >= 0.5).astype(float)
    stats = model_quality.statistics("binary_classification", truth, guess, scores)["binary_classification_metrics"]
    assert stats["accuracy"]["value"] == metrics.accuracy_score(truth, guess)
    assert stats["precision"]["value"] == metrics.precision_score(truth, guess)
    assert stats["recall"]["value"] == metrics.recall_score(truth, guess)
    assert stats["f1"]["value"] == metrics.f1_score(truth, guess)
    assert stats["auc"]["value"] == metrics.roc_auc_score(truth, scores)
    matrix = metrics.confusion_matrix(truth, guess)
    assert stats["confusion_matrix"] == {"0": {"0": matrix[0, 0], "1": matrix[0, 1]},
                                         "1": {"0": matrix[1, 0], "1": matrix[1, 1]}}
    assert stats["accuracy"]["standard_deviation"] > 0


def test_multiclass_and_regression_metrics_and_violations():
    truth, guess = np.array(["a", "b", "c", "a", "b", "c"], dtype=object), np.array(["a", "b", "b", "a", "c", "c"],
                                                                                   dtype=object)
    multi = model_quality.statistics("multiclass_classification", truth, guess, None)
    assert multi["multiclass_classification_metrics"]["weighted_f1"]["value"] == \
        metrics.f1_score(truth, guess, average="weighted")
    assert multi["multiclass_classification_metrics"]["confusion_matrix"]["c"] == {"a": 0, "b": 1, "c": 1}
    y, p = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.0, 2.5, 4.5])
    regression = model_quality.statistics("regression", y, p, None)
    block = regression["regression_metrics"]
    assert block["mse"]["value"] == metrics.mean_squared_error(y, p) and block["r2"]["value"] == metrics.r2_score(y, p)
    suggested = model_quality.suggest("regression", regression)
    assert suggested["regression_constraints"]["mae"]["comparison_operator"] == "GreaterThanThreshold"
    worse = model_quality.statistics("regression", y, p + 1.0, None)
    found, _ = model_quality.violations("regression", worse, suggested)
    assert {v["metric_name"] for v in found} == {"mae", "mse", "rmse", "r2"}
    assert model_quality.violations("regression", regression, suggested)[0] == []


@pytest.mark.parametrize("expression, hours", [("cron(0 * ? * * *)", set(range(24))), ("cron(0 0 ? * * *)", {0}),
                                               ("cron(0 2/6 ? * * *)", {2, 8, 14, 20}), ("cron(0 1,13 ? * * *)",
                                                                                         {1, 13})])
def test_cron_forms(expression, hours):
    assert set(cron.parse(expression).hours) == hours


@pytest.mark.parametrize("expression", ["cron(0 * * * *)", "cron(5 * ? * * *)", "cron(0 24 ? * * *)", "rate(1 day)",
                                        "cron(0 * ? 1 * *)", ""])
def test_cron_rejects(expression):
    with pytest.raises(ValidationException):
        cron.parse(expression)


def test_cron_next_runs_and_offsets():
    moment = dt.datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    assert cron.parse("cron(0 * ? * * *)").next_after(moment) == dt.datetime(2026, 1, 1, 11, tzinfo=UTC)
    assert cron.parse("cron(0 0 ? * * *)").next_after(moment) == dt.datetime(2026, 1, 2, tzinfo=UTC)
    assert cron.parse("NOW").one_time
    assert cron.offset("-PT1H", "x") == -dt.timedelta(hours=1) and cron.offset("-P1DT2H", "x") == \
        -dt.timedelta(days=1, hours=2)
    for bad in ("PT1H", "-1H", "-PT"):
        with pytest.raises(ValidationException):
            cron.offset(bad, "x")


def _run(monkeypatch, tmp_path, **environment: str) -> None:
    for name in ("baseline_constraints", "baseline_statistics", "analysis_type", "dataset_format"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert analyzer.main(["--ml-root", str(tmp_path / "ml")]) == 0, (tmp_path / "ml/output/failure").read_text()


@pytest.mark.parametrize("kind", ["csv-no-header", "jsonlines", "parquet"])
def test_analyzer_reads_each_dataset_format(monkeypatch, tmp_path, kind):
    import pandas as pd

    frame = pd.DataFrame({"a": [1.5, 2.5, 3.5], "b": [1, 2, 3]})
    (tmp_path / "data").mkdir()
    if kind == "csv-no-header":
        frame.to_csv(tmp_path / "data" / "d.csv", header=False, index=False)
        dataset_format, names = {"csv": {"header": False}}, ["_c0", "_c1"]
    elif kind == "jsonlines":
        frame.to_json(tmp_path / "data" / "d.jsonl", orient="records", lines=True)
        dataset_format, names = {"json": {"lines": True}}, ["a", "b"]
    else:
        frame.to_parquet(tmp_path / "data" / "d.parquet")
        dataset_format, names = {"parquet": {}}, ["a", "b"]
    _run(monkeypatch, tmp_path, dataset_format=json.dumps(dataset_format), dataset_source=str(tmp_path / "data"),
         output_path=str(tmp_path / "out"))
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert [f["name"] for f in stats["features"]] == names
    assert [f["inferred_type"] for f in stats["features"]] == ["Fractional", "Integral"]
    assert (tmp_path / "out" / "constraints.json").exists()


def test_analyzer_failure_is_a_client_error(monkeypatch, tmp_path):
    monkeypatch.setenv("dataset_source", str(tmp_path / "nothing"))
    monkeypatch.setenv("output_path", str(tmp_path / "out"))
    monkeypatch.delenv("analysis_type", raising=False)
    assert analyzer.main(["--ml-root", str(tmp_path / "ml")]) == 1
    assert (tmp_path / "ml" / "output" / "failure").read_text().startswith("ClientError: The dataset source")


def test_the_analyzer_image_runs_the_analyzer_as_a_processing_job(tmp_path):
    from sagecraft.executors.runtimes import RuntimeRegistry, processing_argv

    registry = RuntimeRegistry.load(tmp_path)
    for image in ("156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
                  "159807026194.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest"):
        argv = processing_argv(registry.resolve(image), None, None)
        assert argv[1:] == ["-m", "sagecraft.executors.algorithms.model_monitor"]
    xgboost = registry.resolve("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")
    with pytest.raises(ValidationException, match="ContainerEntrypoint"):
        processing_argv(xgboost, None, None)  # a framework image still needs its entry point


def test_a_window_ending_now_keeps_the_records_of_its_last_second(tmp_path):
    """A manual run's window ends at the moment it starts: its end keeps milliseconds (rounded up), so
    records captured earlier in that same second are analysed (they were left out when the end was
    truncated to the second)."""
    from sagecraft.services.monitoring.executions import stamp

    now = dt.datetime(2026, 1, 1, 10, 30, 5, 400_500, tzinfo=UTC)
    assert stamp(now) == "2026-01-01T10:30:05.400Z" and stamp(now, round_up=True) == "2026-01-01T10:30:05.401Z"
    assert stamp(dt.datetime(2026, 1, 1, 10, tzinfo=UTC), round_up=True) == "2026-01-01T10:00:00Z"
    (tmp_path / "c.jsonl").write_text("\n".join([
        _record("1", "0.1", "2026-01-01T10:30:04.900Z"), _record("2", "0.2", "2026-01-01T10:30:05.100Z"),
        _record("3", "0.3", "2026-01-01T10:30:05.400Z"), _record("4", "0.4", "2026-01-01T10:30:05.600Z")]) + "\n")
    start, end = capture.parse_time(stamp(now - dt.timedelta(hours=1))), capture.parse_time(stamp(now, round_up=True))
    kept = [r.event_metadata.inference_time for r in capture.read_records(tmp_path, start, end)]
    assert kept == ["2026-01-01T10:30:04.900Z", "2026-01-01T10:30:05.100Z", "2026-01-01T10:30:05.400Z"]
