"""CloudWatch metrics on the wire.

botocore 1.44's model lists ``smithy-rpc-v2-cbor, json, query``; botocore picks by its own priority
(json > rest-json > rest-xml > cbor > query), so 1.44 speaks json 1.0 (``X-Amz-Target:
GraniteServiceVersion20100801.<Op>``, ``x-amzn-query-mode: true``) and older clients (awscli v1's
botocore among them) the query protocol (``Action=…&Version=2010-08-01``); the gateway serves both.
A client that picked rpc-v2-cbor (``POST /service/GraniteServiceVersion20100801/operation/<Op>``,
CBOR body) is not served: none of ours does, and such a request gets a JSON error it cannot parse.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.services.cloudwatch.errors import InvalidParameterValue
from sagecraft.services.cloudwatch.metric_data import MetricQuery, get_metric_data
from sagecraft.services.cloudwatch.models import Aggregate, Metric, MetricScope
from sagecraft.services.cloudwatch.service import CloudWatchService, MetricDatum, to_ms


def _scope(context: RequestContext) -> MetricScope:
    return MetricScope(context.account_id, context.region)


def _pairs(dimensions: list[Mapping[str, str]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((d["Name"], d["Value"]) for d in dimensions or ())


def _datum(item: Mapping[str, Any]) -> MetricDatum:
    stats = item.get("StatisticValues")
    return MetricDatum(
        name=item["MetricName"], dimensions=_pairs(item.get("Dimensions")),
        timestamp_ms=to_ms(item["Timestamp"]) if item.get("Timestamp") is not None else None,
        value=item.get("Value"),
        values=tuple(item["Values"]) if item.get("Values") is not None else None,
        counts=tuple(item["Counts"]) if item.get("Counts") is not None else None,
        statistic_set=(stats["SampleCount"], stats["Sum"], stats["Minimum"], stats["Maximum"]) if stats else None,
        unit=None if item.get("Unit") in (None, "None") else item["Unit"],
        storage_resolution=item.get("StorageResolution"),
    )


def _datapoint(item: Aggregate, statistics: list[str], extended: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"Timestamp": item.timestamp, "Unit": item.unit or "None"}
    for name in statistics:
        value = item.statistic(name)
        if value is not None:
            out[name] = value
    percentiles = {name: value for name in extended if (value := item.statistic(name)) is not None}
    if percentiles:
        out["ExtendedStatistics"] = percentiles
    return out


def _query(item: Mapping[str, Any]) -> MetricQuery:
    stat = item.get("MetricStat")
    metric = stat["Metric"] if stat else None
    return MetricQuery(
        id=item["Id"], expression=item.get("Expression"), label=item.get("Label"),
        return_data=item.get("ReturnData", True),
        metric=Metric.of(metric.get("Namespace", ""), metric.get("MetricName", ""), metric.get("Dimensions") or [])
        if metric is not None else None,
        period=stat["Period"] if stat else item.get("Period"), stat=stat["Stat"] if stat else None,
        unit=stat.get("Unit") if stat else None,
    )


def _encode_after(metric_id: int) -> str:
    return base64.urlsafe_b64encode(f"m{metric_id}".encode()).decode()


def _decode_after(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if not text.startswith("m"):
            raise ValueError
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameterValue("The value of NextToken is invalid.") from None


class CloudWatchProvider:
    service_name = "cloudwatch"
    # Every operation reads or writes the metadata store: keep them off the event loop.
    threaded_operations = frozenset({"PutMetricData", "GetMetricStatistics", "GetMetricData", "ListMetrics"})

    def __init__(self, service: CloudWatchService) -> None:
        self.service = service

    def put_metric_data(self, context: RequestContext, params: dict) -> dict:
        self.service.put_metric_data(_scope(context), params["Namespace"],
                                     [_datum(item) for item in params.get("MetricData") or []])
        return {}

    def get_metric_statistics(self, context: RequestContext, params: dict) -> dict:
        statistics = list(params.get("Statistics") or [])
        extended = list(params.get("ExtendedStatistics") or [])
        metric = Metric.of(params["Namespace"], params["MetricName"], params.get("Dimensions") or [])
        unit = params.get("Unit")
        aggregates = self.service.statistics(_scope(context), metric, params["StartTime"], params["EndTime"],
                                             params["Period"], statistics, extended, unit)
        return {"Label": metric.name, "Datapoints": [_datapoint(a, statistics, extended) for a in aggregates]}

    def get_metric_data(self, context: RequestContext, params: dict) -> dict:
        results, token = get_metric_data(
            self.service, _scope(context), [_query(q) for q in params["MetricDataQueries"]],
            params["StartTime"], params["EndTime"], scan_by=params.get("ScanBy", "TimestampDescending"),
            max_datapoints=params.get("MaxDatapoints"), next_token=params.get("NextToken"))
        out: dict[str, Any] = {
            "MetricDataResults": [{"Id": r.id, "Label": r.label, "Timestamps": r.timestamps, "Values": r.values,
                                   "StatusCode": r.status_code, "Messages": []} for r in results],
            "Messages": [],
        }
        if token:
            out["NextToken"] = token
        return out

    def list_metrics(self, context: RequestContext, params: dict) -> dict:
        filters = [(d["Name"], d.get("Value")) for d in params.get("Dimensions") or []]
        after = _decode_after(params["NextToken"]) if params.get("NextToken") else 0
        metrics, last = self.service.list_metrics(
            _scope(context), namespace=params.get("Namespace"), name=params.get("MetricName"),
            dimension_filters=filters, recently_active=params.get("RecentlyActive") == "PT3H", after_id=after)
        out: dict[str, Any] = {"Metrics": [{"Namespace": m.namespace, "MetricName": m.name,
                                            "Dimensions": m.dimension_list()} for m in metrics]}
        if last is not None:
            out["NextToken"] = _encode_after(last)
        return out
