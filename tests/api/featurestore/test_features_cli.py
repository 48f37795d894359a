"""``sagecraft features ls`` and ``sagecraft features get GROUP ID`` against the running server."""

from __future__ import annotations

import json

from tests.api.featurestore.support import create_group, record, unique
from tests.support.cli import sagecraft


def test_features_ls_and_get(server, sm, featurestore):
    name = unique("cli")
    create_group(sm, name)
    featurestore.put_record(FeatureGroupName=name, Record=record(id="r1", et="12.5", s="hello"))

    listed = sagecraft("features", "ls", "--home", server.home)
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout and "Created" in listed.stdout

    shown = sagecraft("features", "get", name, "r1", "--json", "--home", server.home)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {"id": "r1", "et": "12.5", "s": "hello"}

    missing = sagecraft("features", "get", name, "nope", "--home", server.home)
    assert missing.returncode == 1 and "No record 'nope'" in missing.stderr
    no_group = sagecraft("features", "get", unique("none"), "r1", "--home", server.home)
    assert no_group.returncode == 1 and "can't find a FeatureGroup" in no_group.stderr
