"""WorkloadSpec validation and the executor log format."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagecraft.executors.base import JobKind, WorkloadSpec, format_log_line, log_tail, read_log


def spec(**overrides) -> WorkloadSpec:
    args = dict(kind="training", job_name="j", instance_dir=Path("/tmp/x"), argv=["python3", "t.py"])
    return WorkloadSpec(**{**args, **overrides})


def test_spec_normalises_and_round_trips():
    s = spec(hosts=["algo-1", "algo-2"], instance_index=1, environment={"A": 1})
    assert s.kind is JobKind.TRAINING and s.argv == ("python3", "t.py") and s.environment == {"A": "1"}
    assert s.current_host == "algo-2" and s.instance_count == 2
    assert WorkloadSpec.from_dict(s.to_dict()) == s


@pytest.mark.parametrize("bad", [dict(argv=[]), dict(instance_index=1), dict(max_runtime_seconds=0),
                                 dict(environment={"A=B": "x"}), dict(kind="inference")])
def test_invalid_specs_are_refused(bad):
    with pytest.raises(ValueError):
        spec(**bad)


def test_read_log_returns_complete_lines_and_where_to_continue(tmp_path):
    log = tmp_path / "output.log"
    log.write_bytes(format_log_line(1000, "o", b"first") + format_log_line(1001, "e", b"second\twith tab")
                    + b"1002\to\tpartial")
    lines, offset = read_log(log)
    assert [(line.timestamp_ms, line.stream, line.text) for line in lines] == [
        (1000, "stdout", "first"), (1001, "stderr", "second\twith tab")]
    assert read_log(log, offset) == ([], offset)
    with log.open("ab") as f:
        f.write(b" line\n")
    more, _ = read_log(log, offset)
    assert [line.text for line in more] == ["partial line"]


def test_read_log_of_a_missing_file_is_empty(tmp_path):
    assert read_log(tmp_path / "none.log", 5) == ([], 5)


def test_log_tail_picks_the_last_lines_of_one_stream(tmp_path):
    log = tmp_path / "output.log"
    log.write_bytes(b"".join(format_log_line(i, "e" if i % 2 else "o", f"line {i}".encode()) for i in range(50)))
    assert log_tail(log, 3) == ["line 45", "line 47", "line 49"]
    assert log_tail(log, 2, stream=None) == ["line 48", "line 49"]
