"""A server whose online store is Redis (SAGECRAFT_FEATURESTORE_ONLINE_URL), against a real redis-server."""

from __future__ import annotations

from tests.api.featurestore.support import as_dict, create_group, record, redis_server, unique


def test_server_with_a_redis_online_store(fresh_server, tmp_path):
    with redis_server(tmp_path) as url:
        fresh_server.extra_env["SAGECRAFT_FEATURESTORE_ONLINE_URL"] = url
        fresh_server.start()
        sm, runtime = fresh_server.client("sagemaker"), fresh_server.client("sagemaker-featurestore-runtime")
        name = unique("redis")
        create_group(sm, name)
        runtime.put_record(FeatureGroupName=name, Record=record(id="a", et="20", s="new"))
        runtime.put_record(FeatureGroupName=name, Record=record(id="a", et="10", s="old"))
        found = runtime.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="a")
        assert as_dict(found["Record"]) == {"id": "a", "et": "20", "s": "new"}
        fresh_server.stop()
        fresh_server.start()  # the records live in Redis, not in the server's home
        found = runtime.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="a")
        assert as_dict(found["Record"]) == {"id": "a", "et": "20", "s": "new"}
        assert sm.describe_feature_group(FeatureGroupName=name)["OnlineStoreTotalSizeBytes"] > 0
