"""The built-in XGBoost algorithm's channel readers: CSV, LIBSVM, Parquet, label first."""

from __future__ import annotations

import numpy as np
import pytest

from sagecraft.executors.algorithms.errors import UserError
from sagecraft.executors.algorithms.xgboost_data import (
    CSV,
    LIBSVM,
    PARQUET,
    align_columns,
    content_format,
    data_files,
    read_channel,
)


@pytest.mark.parametrize("content_type, expected", [
    ("text/csv", CSV), ("csv", CSV), ("text/csv; label_size=1", CSV), ("TEXT/CSV;charset=utf-8", CSV),
    ("text/libsvm", LIBSVM), ("text/x-libsvm", LIBSVM), ("libsvm", LIBSVM), (None, LIBSVM),
    ("application/x-parquet", PARQUET),
])
def test_content_types(content_type, expected):
    assert content_format(content_type) == expected


@pytest.mark.parametrize("content_type, message", [
    ("text/csv; label_size=2", "Optional parameter label_size must be equal to 1"),
    ("application/json", "is not an accepted ContentType"),
    ("application/x-recordio-protobuf", "not supported by Sagecraft's built-in XGBoost"),
])
def test_refused_content_types(content_type, message):
    with pytest.raises(UserError, match=message):
        content_format(content_type)


def test_csv_label_first_any_delimiter_all_files(tmp_path):
    (tmp_path / "a.csv").write_text("1,0.5,2\n0,1.5,3\n")
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "b.tsv").write_text("1\t7\t8\n")
    (tmp_path / ".hidden").write_text("junk\n")
    (tmp_path / "_SUCCESS").write_text("")
    data = read_channel(tmp_path, "text/csv")
    assert data.labels.tolist() == [1, 0, 1]
    assert data.features.tolist() == [[0.5, 2], [1.5, 3], [7, 8]]
    assert [p.name for p in data_files(tmp_path)] == ["a.csv", "b.tsv"]


def test_csv_weights_and_missing_values(tmp_path):
    (tmp_path / "w.csv").write_text("1,0.25,3,\n0,2,,5\n")
    data = read_channel(tmp_path, "csv", csv_weights=True)
    assert data.weights.tolist() == [0.25, 2]
    assert np.isnan(data.features[0, 1]) and np.isnan(data.features[1, 0])


def test_csv_with_a_header_is_the_users_error(tmp_path):
    (tmp_path / "h.csv").write_text("label,a\n1,2\n")
    with pytest.raises(UserError, match="Failed to load csv data"):
        read_channel(tmp_path, "text/csv")


def test_csv_needs_a_feature(tmp_path):
    (tmp_path / "one.csv").write_text("1\n0\n")
    with pytest.raises(UserError, match="label first"):
        read_channel(tmp_path, "text/csv")


def test_an_empty_channel_has_no_data(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    assert read_channel(tmp_path, "text/csv") is None
    assert read_channel(tmp_path / "absent", "text/csv") is None


def test_libsvm_indices_as_written_and_query_ids(tmp_path):
    (tmp_path / "r.libsvm").write_text("1 qid:1 1:0.5 3:2\n0 qid:1 2:1\n2 qid:2 1:1\n")
    data = read_channel(tmp_path, "text/libsvm")
    assert data.labels.tolist() == [1, 0, 2]
    assert data.features.toarray().tolist() == [[0, 0.5, 0, 2], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert data.qid.tolist() == [1, 1, 2]


def test_libsvm_channels_are_widened_to_one_width(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "v").mkdir()
    (tmp_path / "t" / "t.libsvm").write_text("1 1:1 5:1\n")
    (tmp_path / "v" / "v.libsvm").write_text("0 2:1\n")
    train, validation = read_channel(tmp_path / "t", None), read_channel(tmp_path / "v", None)
    assert validation.qid is None
    align_columns([train, validation])
    assert train.columns == validation.columns == 6


def test_libsvm_garbage_is_the_users_error(tmp_path):
    (tmp_path / "bad.libsvm").write_text("1,2,3\n")
    with pytest.raises(UserError, match="Failed to load libsvm data"):
        read_channel(tmp_path, "text/libsvm")


def test_parquet_label_first(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pd.DataFrame({"y": [1.0, 0.0], "a": [2.0, 3.0], "b": [4.0, 5.0]}).to_parquet(tmp_path / "d.parquet")
    data = read_channel(tmp_path, "application/x-parquet")
    assert data.labels.tolist() == [1, 0] and data.features.tolist() == [[2, 4], [3, 5]]


def test_corrupt_parquet_is_the_users_error(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"not parquet")
    with pytest.raises(UserError, match=r"Failed to load parquet data|needs pyarrow"):
        read_channel(tmp_path, "parquet")
