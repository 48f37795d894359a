from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.hosting.hosting_support import train_booster, unique, upload_tar
from tests.conftest import _server_database
from tests.support.server import ServerProcess, free_port

# The controller evaluates twice a second over a 10-second window, so scaling shows within seconds.
FAST_CONTROLLER = {"SAGECRAFT_AUTOSCALING_INTERVAL": "0.5", "SAGECRAFT_AUTOSCALING_WINDOW": "10"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    """A server of this module's own: its autoscaling controller runs fast."""
    home = tmp_path_factory.mktemp("home")
    with _server_database() as env:
        process = ServerProcess(home, free_port(), {**env, **FAST_CONTROLLER}).start()
        yield process
        process.stop()


@pytest.fixture(scope="module")
def scaling(server):
    return server.client("application-autoscaling")


@pytest.fixture(scope="module")
def model_data(tmp_path_factory, s3) -> tuple:
    bucket = unique("autoscaling-test")
    s3.create_bucket(Bucket=bucket)
    _booster, path, features = train_booster(tmp_path_factory.mktemp("model"))
    return upload_tar(s3, bucket, "model/model.tar.gz", {"xgboost-model": path.read_bytes()}), features
