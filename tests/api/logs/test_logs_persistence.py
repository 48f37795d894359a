"""Log groups, streams and events survive a server restart, and are served by a PostgreSQL
metadata store as by the embedded SQLite one."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.support.postgres import postgres_url_or_skip, scratch_postgres_database
from tests.support.server import ServerProcess, free_port


def write_then_restart_then_read(server: ServerProcess) -> None:
    # Unique: with SAGECRAFT_DATABASE_URL set, every test server shares one database.
    group = f"/aws/sagemaker/ProcessingJobs/{uuid.uuid4().hex[:10]}"
    server.start()
    logs = server.client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="job/algo-1-1700000000")
    start = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="job/algo-1-1700000000",
                        logEvents=[{"timestamp": start + i, "message": f"line {i}"} for i in range(3)])
    first = logs.get_log_events(logGroupName=group, logStreamName="job/algo-1-1700000000", startFromHead=True,
                                limit=2)
    server.stop()

    server.start()
    logs = server.client("logs")
    (stream,) = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="job/")["logStreams"]
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (start, start + 2)
    # A token handed out before the restart still continues where it left off.
    rest = logs.get_log_events(logGroupName=group, logStreamName="job/algo-1-1700000000",
                               nextToken=first["nextForwardToken"])
    assert [e["message"] for e in first["events"] + rest["events"]] == ["line 0", "line 1", "line 2"]
    found = logs.filter_log_events(logGroupName=group, filterPattern='"line 2"')["events"]
    assert [e["message"] for e in found] == ["line 2"]


def test_log_events_survive_a_restart(fresh_server):
    write_then_restart_then_read(fresh_server)


@pytest.mark.postgres
def test_log_events_survive_a_restart_on_postgresql(tmp_path):
    with scratch_postgres_database(postgres_url_or_skip()) as url:
        (tmp_path / "home").mkdir()
        server = ServerProcess(tmp_path / "home", free_port(), extra_env={"SAGECRAFT_DATABASE_URL": url})
        try:
            write_then_restart_then_read(server)
        finally:
            server.stop()
