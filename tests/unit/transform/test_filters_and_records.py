"""The JSONPath subset, mini-batching and record joins of the transform worker."""

from __future__ import annotations

import io
import json

import pytest

from sagecraft.executors.transform import batches, records
from sagecraft.executors.transform.filters import JsonPathError, apply, is_identity, parse_path


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("$[1:]", ["id", "1", "2"], ["1", "2"]),
        ("$[0]", ["id", "1", "2"], "id"),
        ("$[-1]", ["a", "b", "c"], "c"),
        ("$[0,-1]", ["a", "b", "c"], ["a", "c"]),
        ("$[0,2:]", ["a", "b", "c", "d"], ["a", "c", "d"]),
        ("$[:2]", ["a", "b", "c"], ["a", "b"]),
        ("$.features", {"features": [1, 2], "id": 3}, [1, 2]),
        ("$.a.b", {"a": {"b": 5}}, 5),
        ("$['id','SageMakerOutput']", {"id": 1, "x": 2, "SageMakerOutput": 3}, {"id": 1, "SageMakerOutput": 3}),
        ("$.features[1:]", {"features": [1, 2, 3]}, [2, 3]),
    ],
)
def test_supported_paths(path, value, expected):
    assert apply(parse_path(path), value) == expected


@pytest.mark.parametrize("path", ["features", "$..x", "$[?(@.a)]", "$[a]", "$[]"])
def test_unsupported_paths_are_refused(path):
    with pytest.raises(JsonPathError):
        parse_path(path)


def test_paths_that_do_not_fit_the_record_say_why():
    with pytest.raises(JsonPathError, match="no member 'missing'"):
        apply(parse_path("$.missing"), {"a": 1})
    with pytest.raises(JsonPathError, match="out of range"):
        apply(parse_path("$[5]"), ["a"])


def test_identity():
    assert is_identity("$") and is_identity(None) and not is_identity("$[1:]")


def test_line_chunks_respect_the_payload_limit_and_line_boundaries():
    body = b"".join(b"%d,%d\n" % (i, i) for i in range(1000))
    chunks = list(batches.line_chunks(io.BytesIO(body), 100))
    assert b"".join(chunks) == body
    assert all(len(c) <= 100 and c.endswith(b"\n") for c in chunks)


def test_a_record_larger_than_the_payload_fails():
    with pytest.raises(batches.PayloadTooLarge, match="Too much data for max payload size"):
        list(batches.line_chunks(io.BytesIO(b"1,2\n" + b"9" * 300 + b"\n"), 100))


def test_last_line_without_newline_and_blank_lines():
    chunks = list(batches.line_chunks(io.BytesIO(b"1\n\n2\r\n3"), None))
    assert batches.lines(b"".join(chunks)) == [b"1", b"2", b"3"]


def test_csv_join_and_filters():
    assert records.select(parse_path("$[1:]"), b"7,1.5,2.5", "csv") == b"1.5,2.5"
    assert records.join(b"7,1.5", b"0.25", "csv") == b"7,1.5,0.25"
    assert records.select(parse_path("$[0,-1]"), b"7,1.5,0.25", "csv") == b"7,0.25"


def test_json_join_attaches_sagemaker_output():
    joined = records.join(b'{"id": 1}', b'{"score": 0.5}', "json")
    assert json.loads(joined) == {"id": 1, "SageMakerOutput": {"score": 0.5}}
    assert json.loads(records.join(b"[1, 2]", b"0.5", "json")) == {"SageMakerInput": [1, 2], "SageMakerOutput": 0.5}


def test_outputs_split_by_line_or_json_array():
    assert records.split_outputs(b"1\n2\n", 2, "csv") == [b"1", b"2"]
    assert records.split_outputs(b'{"predictions": [{"score": 1}, {"score": 2}]}', 2, "json") == [
        b'{"score":1}',
        b'{"score":2}',
    ]
    with pytest.raises(records.RecordError, match="2 input records"):
        records.split_outputs(b"1\n", 2, "csv")
