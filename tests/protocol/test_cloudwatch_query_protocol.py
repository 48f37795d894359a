"""CloudWatch in both of the protocols botocore versions speak to it: json 1.0 (botocore 1.44, which
ranks json above cbor and query) and query (older clients): routing, parsing, and responses that
botocore's own query parser reads."""

from __future__ import annotations

import datetime as dt
import urllib.parse

from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from sagecraft.api.models import service_model
from sagecraft.api.protocols.http import BytesBody, HttpRequest
from sagecraft.gateway.protocols import ProtocolSet
from sagecraft.gateway.routing import route
from sagecraft.services.cloudwatch.errors import InvalidParameterValue
from tests.support.wire import capture, make_client

AUTH = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, " \
       "Signature=0"
WHEN = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
PARAMS = {"Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": "validation:auc",
          "Dimensions": [{"Name": "TrainingJobName", "Value": "job"}], "StartTime": WHEN,
          "EndTime": WHEN + dt.timedelta(hours=1), "Period": 60, "Statistics": ["Average", "Maximum"]}
PROTOCOLS = ProtocolSet({})


def query_request(operation: str, params: dict) -> HttpRequest:
    """The form post an older botocore (query protocol) sends."""
    model = service_model("cloudwatch").operation_model(operation)
    serialized = create_serializer("query").serialize_to_request(params, model)
    body = urllib.parse.urlencode(serialized["body"]).encode()
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8", "authorization": AUTH}
    return HttpRequest(method="POST", raw_path="/", query_string="", headers=headers, body=BytesBody(body))


def test_botocore_144_speaks_json_to_cloudwatch():
    client = make_client("cloudwatch")
    assert client.meta.service_model.resolved_protocol == "json"
    request = capture(client, "GetMetricStatistics", PARAMS)
    assert request.headers["x-amzn-query-mode"] == "true"
    info = route(request)
    assert (info.name, info.protocol) == ("cloudwatch", "json")


def test_a_query_request_is_routed_and_parsed_as_query():
    request = query_request("GetMetricStatistics", PARAMS)
    info = route(request)
    assert (info.name, info.protocol) == ("cloudwatch", "query")
    protocol = PROTOCOLS.get(info)
    operation = protocol.resolve(request)
    assert operation.name == "GetMetricStatistics"
    assert protocol.parse(request, operation) == PARAMS
    assert PROTOCOLS.get(route(capture(make_client("cloudwatch"), "ListMetrics", {}))) is not protocol


def test_query_responses_and_errors_parse_in_botocore():
    request = query_request("GetMetricStatistics", PARAMS)
    protocol = PROTOCOLS.get(route(request))
    operation = protocol.resolve(request)
    output = {"Label": "validation:auc", "Datapoints": [{"Timestamp": WHEN, "Average": 0.97, "Unit": "None"}]}
    response = protocol.serialize(operation, output, "req-1")
    parsed = create_parser("query").parse(
        {"status_code": 200, "headers": response.headers, "body": response.body}, operation.output_shape)
    assert parsed["Datapoints"] == [{"Timestamp": WHEN, "Average": 0.97, "Unit": "None"}]
    assert parsed["Label"] == "validation:auc"

    error = protocol.serialize_error(InvalidParameterValue("bad"), "req-2")
    parsed = create_parser("query").parse(
        {"status_code": error.status, "headers": error.headers, "body": error.body}, operation.output_shape)
    assert parsed["Error"]["Code"] == "InvalidParameterValue"


def test_json_errors_say_the_query_code_too():
    info = route(capture(make_client("cloudwatch"), "ListMetrics", {}))
    error = PROTOCOLS.get(info).serialize_error(InvalidParameterValue("bad"), "req-3")
    assert error.headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"
    model = service_model("cloudwatch").operation_model("ListMetrics")
    parsed = create_parser("json").parse(
        {"status_code": error.status, "headers": error.headers, "body": error.body}, model.output_shape)
    assert parsed["Error"]["Code"] == "InvalidParameterValue"
