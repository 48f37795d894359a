"""CloudWatch metrics through boto3 (json 1.0, query-compatible) and the query protocol, real server."""

from __future__ import annotations

import datetime as dt
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from tests.support.signing import send

NS = "{http://monitoring.amazonaws.com/doc/2010-08-01/}"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def cloudwatch(server):
    return server.client("cloudwatch")


@pytest.fixture
def base_time() -> dt.datetime:
    # A whole minute in the recent past: periods then start where the points do.
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=30)


def put_series(cloudwatch, namespace: str, name: str, dims: list[dict], base: dt.datetime,
               values: list[float], step: dt.timedelta = dt.timedelta(seconds=10), unit: str = "None") -> None:
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": name, "Dimensions": dims, "Timestamp": base + i * step, "Value": v, "Unit": unit}
        for i, v in enumerate(values)])


def test_client_speaks_json_in_query_compatible_mode(cloudwatch):
    # What this suite exercises: botocore 1.44 picks json over query (and over cbor) for CloudWatch.
    assert cloudwatch.meta.service_model.resolved_protocol == "json"


def test_put_then_get_metric_statistics_per_period(cloudwatch, base_time):
    namespace, job = unique("Test/NS"), unique("job")
    dims = [{"Name": "TrainingJobName", "Value": job}]
    put_series(cloudwatch, namespace, "validation:auc", dims, base_time, [0.90, 0.92, 0.94, 0.96, 0.98, 0.99])
    put_series(cloudwatch, namespace, "validation:auc", dims, base_time + dt.timedelta(minutes=1), [0.5, 1.5])
    reply = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName="validation:auc", Dimensions=dims, StartTime=base_time,
        EndTime=base_time + dt.timedelta(minutes=5), Period=60,
        Statistics=["Average", "SampleCount", "Minimum", "Maximum", "Sum"])
    assert reply["Label"] == "validation:auc"
    points = sorted(reply["Datapoints"], key=lambda p: p["Timestamp"])
    assert [p["Timestamp"] for p in points] == [base_time, base_time + dt.timedelta(minutes=1)]
    first, second = points
    assert first["SampleCount"] == 6 and first["Minimum"] == 0.90 and first["Maximum"] == 0.99
    assert first["Average"] == pytest.approx(sum([0.90, 0.92, 0.94, 0.96, 0.98, 0.99]) / 6)
    assert second["Average"] == 1.0 and second["Sum"] == 2.0 and second["Unit"] == "None"


def test_statistics_need_the_exact_dimension_set_and_the_time_range(cloudwatch, base_time):
    namespace = unique("Test/NS")
    dims = [{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}]
    put_series(cloudwatch, namespace, "m", dims, base_time, [1.0, 2.0])
    query = dict(Namespace=namespace, MetricName="m", StartTime=base_time,
                 EndTime=base_time + dt.timedelta(minutes=1), Period=60, Statistics=["Sum"])
    assert cloudwatch.get_metric_statistics(**query, Dimensions=dims[:1])["Datapoints"] == []
    assert cloudwatch.get_metric_statistics(**query, Dimensions=dims[::-1])["Datapoints"][0]["Sum"] == 3.0
    later = {**query, "StartTime": base_time + dt.timedelta(minutes=1), "EndTime": base_time + dt.timedelta(minutes=2)}
    assert cloudwatch.get_metric_statistics(**later, Dimensions=dims)["Datapoints"] == []


def test_extended_statistics_and_statistic_sets(cloudwatch, base_time):
    namespace = unique("Test/NS")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "latency", "Timestamp": base_time, "Values": [1.0, 2.0, 3.0, 100.0],
         "Counts": [10, 10, 79, 1], "Unit": "Milliseconds"},
        {"MetricName": "sets", "Timestamp": base_time,
         "StatisticValues": {"SampleCount": 4, "Sum": 10, "Minimum": 1, "Maximum": 4}},
    ])
    window = dict(StartTime=base_time, EndTime=base_time + dt.timedelta(minutes=1), Period=60)
    latency = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="latency", **window,
                                               ExtendedStatistics=["p50", "p99", "p100"], Unit="Milliseconds")
    (point,) = latency["Datapoints"]
    assert point["ExtendedStatistics"] == {"p50": 3.0, "p99": 3.0, "p100": 100.0}
    assert point["Unit"] == "Milliseconds"
    sets = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="sets", **window,
                                            Statistics=["Average"], ExtendedStatistics=["p50"])
    (point,) = sets["Datapoints"]
    assert point["Average"] == 2.5 and "ExtendedStatistics" not in point  # a set hides its values


def test_get_metric_data_pages_by_datapoints(cloudwatch, base_time):
    namespace = unique("Test/NS")
    dims = [{"Name": "TrainingJobName", "Value": "j"}]
    put_series(cloudwatch, namespace, "train:rmse", dims, base_time, [5.0, 4.0, 3.0, 2.0, 1.0],
               step=dt.timedelta(minutes=1))
    query = {"Id": "rmse", "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "train:rmse",
                                                     "Dimensions": dims}, "Period": 60, "Stat": "Maximum"}}
    window = dict(StartTime=base_time, EndTime=base_time + dt.timedelta(minutes=10))
    whole = cloudwatch.get_metric_data(MetricDataQueries=[query], ScanBy="TimestampAscending", **window)
    (result,) = whole["MetricDataResults"]
    assert result["Id"] == "rmse" and result["Label"] == "train:rmse" and result["StatusCode"] == "Complete"
    assert result["Values"] == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert result["Timestamps"][0] == base_time and "NextToken" not in whole

    seen: list[float] = []
    token = None
    while True:
        extra = {"NextToken": token} if token else {}
        page = cloudwatch.get_metric_data(MetricDataQueries=[query], MaxDatapoints=2, **window, **extra)
        seen += page["MetricDataResults"][0]["Values"]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [1.0, 2.0, 3.0, 4.0, 5.0]  # TimestampDescending by default


def test_get_metric_data_refuses_expressions_clearly(cloudwatch, base_time):
    with pytest.raises(ClientError) as info:
        cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "e1", "Expression": "SUM(METRICS())"}],
                                   StartTime=base_time, EndTime=base_time + dt.timedelta(minutes=1))
    assert info.value.response["Error"]["Code"] == "ValidationError"  # the query-compatible code
    assert "expression" in info.value.response["Error"]["Message"].lower()


def test_list_metrics_filters_by_namespace_name_and_dimensions(cloudwatch, base_time):
    namespace = unique("Test/NS")
    put_series(cloudwatch, namespace, "a", [{"Name": "TrainingJobName", "Value": "j1"}], base_time, [1.0])
    put_series(cloudwatch, namespace, "a", [{"Name": "TrainingJobName", "Value": "j2"}], base_time, [1.0])
    put_series(cloudwatch, namespace, "b", [{"Name": "Host", "Value": "algo-1"}], base_time, [1.0])
    put_series(cloudwatch, namespace, "c", [], base_time, [1.0])

    def names(**filters) -> list[tuple[str, list]]:
        metrics = cloudwatch.list_metrics(Namespace=namespace, **filters)["Metrics"]
        return sorted(((m["MetricName"], m["Dimensions"]) for m in metrics), key=repr)

    assert [n for n, _ in names()] == ["a", "a", "b", "c"]
    assert names(MetricName="a", Dimensions=[{"Name": "TrainingJobName", "Value": "j2"}]) == [
        ("a", [{"Name": "TrainingJobName", "Value": "j2"}])]
    assert [n for n, _ in names(Dimensions=[{"Name": "Host"}])] == ["b"]
    assert [n for n, _ in names(RecentlyActive="PT3H")] == ["a", "a", "b", "c"]
    paginator = cloudwatch.get_paginator("list_metrics")
    assert sum(len(p["Metrics"]) for p in paginator.paginate(Namespace=namespace)) == 4


@pytest.mark.parametrize("bad, code", [
    ({"Value": 1.0, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}},
     "InvalidParameterCombination"),
    ({}, "MissingParameter"),
    ({"Values": [1.0, 2.0], "Counts": [1.0]}, "InvalidParameterValue"),
])
def test_put_metric_data_errors_carry_the_query_codes(cloudwatch, bad, code):
    with pytest.raises(ClientError) as info:
        cloudwatch.put_metric_data(Namespace=unique("Test/NS"), MetricData=[{"MetricName": "m", **bad}])
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_modelled_exceptions_match(cloudwatch, base_time):
    with pytest.raises(cloudwatch.exceptions.InvalidParameterValueException):
        cloudwatch.get_metric_statistics(Namespace="n", MetricName="m", StartTime=base_time,
                                         EndTime=base_time - dt.timedelta(minutes=1), Period=60,
                                         Statistics=["Average"])
    with pytest.raises(cloudwatch.exceptions.InvalidParameterCombinationException):
        cloudwatch.get_metric_statistics(Namespace="n", MetricName="m", StartTime=base_time - dt.timedelta(days=3),
                                         EndTime=base_time, Period=60, Statistics=["Average"])


def test_metrics_are_per_region(server, cloudwatch, base_time):
    namespace = unique("Test/NS")
    put_series(cloudwatch, namespace, "m", [], base_time, [1.0])
    other = server.session().client("cloudwatch", endpoint_url=server.endpoint_url, region_name="eu-west-1")
    assert other.list_metrics(Namespace=namespace)["Metrics"] == []


def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def test_query_protocol_requests_from_older_clients(server, cloudwatch, base_time):
    namespace, job = unique("Test/NS"), unique("job")
    form_headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    put = send(server.endpoint_url, "POST", service="monitoring", keys=server.keys, headers=form_headers,
               body=_form(**{"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": namespace,
                             "MetricData.member.1.MetricName": "validation:auc",
                             "MetricData.member.1.Dimensions.member.1.Name": "TrainingJobName",
                             "MetricData.member.1.Dimensions.member.1.Value": job,
                             "MetricData.member.1.Timestamp": base_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "MetricData.member.1.Value": "0.97"}))
    assert put.status == 200, put.text
    assert ET.fromstring(put.body).tag == f"{NS}PutMetricDataResponse"

    reply = send(server.endpoint_url, "POST", service="monitoring", keys=server.keys, headers=form_headers,
                 body=_form(**{"Action": "GetMetricStatistics", "Version": "2010-08-01", "Namespace": namespace,
                               "MetricName": "validation:auc",
                               "Dimensions.member.1.Name": "TrainingJobName", "Dimensions.member.1.Value": job,
                               "StartTime": base_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "EndTime": (base_time + dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "Period": "60", "Statistics.member.1": "Average"}))
    assert reply.status == 200, reply.text
    assert reply.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(reply.body)
    assert root.tag == f"{NS}GetMetricStatisticsResponse"
    (point,) = root.iter(f"{NS}member")
    assert float(point.find(f"{NS}Average").text) == 0.97
    assert point.find(f"{NS}Timestamp").text.startswith(base_time.strftime("%Y-%m-%dT%H:%M:%S"))

    # The json client sees what the query client put.
    stats = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName="validation:auc", Dimensions=[{"Name": "TrainingJobName", "Value": job}],
        StartTime=base_time, EndTime=base_time + dt.timedelta(minutes=2), Period=60, Statistics=["Average"])
    assert stats["Datapoints"][0]["Average"] == 0.97


def test_query_protocol_errors_are_xml_with_query_codes(server):
    reply = send(server.endpoint_url, "POST", service="monitoring", keys=server.keys,
                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                 body=_form(Action="PutMetricData", Version="2010-08-01", Namespace="AWS/EC2",
                            **{"MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1"}))
    assert reply.status == 400
    error = ET.fromstring(reply.body).find(f"{NS}Error")
    assert error.find(f"{NS}Code").text == "InvalidParameterValue"
    assert error.find(f"{NS}Type").text == "Sender"


def test_json_errors_carry_x_amzn_query_error(server):
    reply = send(server.endpoint_url, "POST", service="monitoring", keys=server.keys,
                 headers={"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-mode": "true",
                          "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"},
                 body=b'{"Namespace": "AWS/EC2", "MetricData": [{"MetricName": "m", "Value": 1}]}')
    assert reply.status == 400
    assert reply.headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"
