"""``sagecraft audit tail`` prints the trail of calls, with who, what and the outcome."""

from __future__ import annotations

import json
import time
import uuid

from botocore.exceptions import ClientError

from tests.support.cli import sagecraft


def test_tail_shows_recent_calls_with_their_outcome(server):
    bucket = f"audit-{uuid.uuid4().hex[:8]}"
    s3 = server.client("s3")
    s3.create_bucket(Bucket=bucket)
    try:
        s3.head_bucket(Bucket=f"missing-{uuid.uuid4().hex[:8]}")
    except ClientError:
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        shown = sagecraft("audit", "tail", "-n", "50", "--json", "--home", server.home)
        events = [json.loads(line) for line in shown.stdout.splitlines()]
        if any(e["eventName"] == "HeadBucket" for e in events):
            break
        time.sleep(0.2)
    created = [e for e in events if e["eventName"] == "CreateBucket"
               and (e.get("requestParameters") or {}).get("Bucket") == bucket]
    assert created and "errorCode" not in created[0] and created[0]["userIdentity"]["type"] == "Root"
    assert any(e["eventName"] == "HeadBucket" and e.get("errorCode") for e in events)
    readable = sagecraft("audit", "tail", "-n", "5", "--home", server.home)
    assert readable.returncode == 0 and "s3:" in readable.stdout
