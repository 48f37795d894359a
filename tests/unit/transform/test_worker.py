"""The transform worker in-process: a built-in XGBoost model streamed over CSV files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost

from sagecraft.executors.transform import worker


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 5)).astype(np.float32)
    booster = xgboost.train({"objective": "binary:logistic"}, xgboost.DMatrix(features, features[:, 0] > 0), 5)
    (tmp_path / "model").mkdir()
    booster.save_model(str(tmp_path / "model" / "xgboost-model"))
    (tmp_path / "transform" / "input").mkdir(parents=True)
    (tmp_path / "transform" / "input" / "rows.csv").write_text(
        "\n".join(",".join(str(v) for v in row) for row in features) + "\n"
    )
    (tmp_path / "transform" / "staged").mkdir()
    (tmp_path / "transform" / "staged" / "rows.csv").touch()  # the platform's "staged completely" marker
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "model"))
    monkeypatch.setenv("SAGECRAFT_HANDLER", "xgboost-builtin")
    monkeypatch.setenv("SAGECRAFT_TRANSFORM_DIR", str(tmp_path / "transform"))
    return tmp_path, booster, features


def configure(root, **settings):
    config = {
        "files": ["rows.csv"],
        "ContentType": "text/csv",
        "SplitType": "Line",
        "AssembleWith": "Line",
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": 1,
        "MaxConcurrentTransforms": 2,
        **settings,
    }
    (root / "transform" / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("strategy", ["MultiRecord", "SingleRecord"])
def test_predictions_match_the_booster(workdir, strategy):
    root, booster, features = workdir
    configure(root, BatchStrategy=strategy)
    assert worker.main() == 0
    scores = [float(v) for v in (root / "transform" / "output" / "rows.csv.out").read_text().split()]
    np.testing.assert_allclose(scores, booster.predict(xgboost.DMatrix(features)), atol=1e-6)


def test_a_wrong_feature_count_fails_with_the_models_message(workdir):
    root, _, _ = workdir
    (root / "transform" / "input" / "rows.csv").write_text("1,2,3\n4,5,6\n")
    configure(root)
    assert worker.main() == 1
    reason = (root / "transform" / "failure").read_text()
    assert reason.startswith("ClientError:") and "Feature size" in reason and "not consistent" in reason


def test_text_rows_fail_with_the_models_message(workdir):
    root, _, _ = workdir
    (root / "transform" / "input" / "rows.csv").write_text("a,b,c,d,e\n")
    configure(root, MaxConcurrentTransforms=1)
    assert worker.main() == 1
    assert "csv" in (root / "transform" / "failure").read_text()


def test_a_record_over_max_payload_fails(workdir):
    root, _, _ = workdir
    (root / "transform" / "input" / "rows.csv").write_text("1," * 700_000 + "1\n")
    configure(root)
    assert worker.main() == 1
    assert "Too much data for max payload size" in (root / "transform" / "failure").read_text()


def test_a_file_still_being_staged_is_read_as_it_grows(tmp_path):
    import threading
    import time

    from sagecraft.executors.transform.batches import GrowingFile, line_chunks

    path, marker = tmp_path / "rows.csv", tmp_path / "done"
    path.write_bytes(b"1,2\n3,")

    def finish() -> None:
        time.sleep(0.2)
        with open(path, "ab") as out:
            out.write(b"4\n5,6\n")
        marker.touch()

    writer = threading.Thread(target=finish)
    writer.start()
    stream = GrowingFile(path, marker)
    assert b"".join(line_chunks(stream, 1 << 20)) == b"1,2\n3,4\n5,6\n"
    stream.close()
    writer.join()
