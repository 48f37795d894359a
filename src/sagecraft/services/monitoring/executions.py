"""One monitoring execution: the analyzer's processing job over the capture window it covers.

The window is [scheduled time + StartTimeOffset, scheduled time + EndTimeOffset) — the previous
hour by default; a one-time (NOW) schedule uses DataAnalysisStartTime / DataAnalysisEndTime. Its
inputs are the capture folder's hour prefixes ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh``
that hold objects, each staged below /opt/ml/processing/input/endpoint, plus the baseline files
and, for model quality, the ground truth. The analyzer still filters records by inferenceTime
(start_time / end_time), as an hour prefix may straddle the window's edges. Results go to
``<MonitoringOutput S3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` as SageMaker lays them out."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sagecraft.services.monitoring import cron
from sagecraft.services.monitoring.models import DefinitionKind, JobDefinition, MonitoringSchedule
from sagecraft.storage.objects.base import ObjectStore

ENDPOINT_LOCAL_PATH = "/opt/ml/processing/input/endpoint"
GROUND_TRUTH_LOCAL_PATH = "/opt/ml/processing/groundtruth"
BASELINE_CONSTRAINTS_PATH = "/opt/ml/processing/baseline/constraints"
BASELINE_STATISTICS_PATH = "/opt/ml/processing/baseline/stats"
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
CAPTURE_FORMAT = '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}'


@dataclass(frozen=True)
class CaptureTarget:
    """Where an endpoint's capture lands: DestinationS3Uri and its variants."""

    endpoint_name: str
    destination: str
    variants: tuple[str, ...]


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def stamp(moment: dt.datetime, *, round_up: bool = False) -> str:
    """ISO 8601 in UTC. A moment inside a second keeps its milliseconds (capture records carry them):
    truncated to the second, a window ending "now" would leave out the records of the last second.
    ``round_up`` (a window's exclusive end) keeps every record up to the moment itself."""
    moment = moment.astimezone(dt.timezone.utc)
    if round_up and moment.microsecond % 1000:
        moment += dt.timedelta(microseconds=1000 - moment.microsecond % 1000)
    if moment.microsecond == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def window(schedule: MonitoringSchedule, definition: JobDefinition, scheduled: dt.datetime) \
        -> tuple[dt.datetime, dt.datetime]:
    config = schedule.config.get("ScheduleConfig") or {}
    if str(config.get("ScheduleExpression", "")).upper() == cron.NOW:
        start = cron.offset(config.get("DataAnalysisStartTime", "-PT1H"), "DataAnalysisStartTime")
        end = cron.offset(config.get("DataAnalysisEndTime", "-PT0H"), "DataAnalysisEndTime")
        return scheduled + start, scheduled + end
    endpoint_input = (definition.part("JobInput") or {}).get("EndpointInput") or {}
    start = cron.offset(endpoint_input.get("StartTimeOffset") or "-PT1H", "StartTimeOffset")
    end = cron.offset(endpoint_input.get("EndTimeOffset") or "-PT0H", "EndTimeOffset")
    return scheduled + start, scheduled + end


def capture_prefixes(objects: ObjectStore, target: CaptureTarget, start: dt.datetime, end: dt.datetime) \
        -> list[str]:
    """The hour prefixes of the window that hold captured records."""
    bucket, root = split_uri(target.destination.rstrip("/"))
    found = []
    hour = start.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        for variant in target.variants:
            key = "/".join(p for p in (root, target.endpoint_name, variant, hour.strftime("%Y/%m/%d/%H")) if p)
            try:
                page = objects.list_objects(bucket, prefix=key + "/", max_keys=1)
            except Exception:  # a missing bucket holds no capture
                continue
            if page.objects:
                found.append(f"s3://{bucket}/{key}")
        hour += dt.timedelta(hours=1)
    return found


def _s3_input(name: str, uri: str, local_path: str, mode: str = "File",
              distribution: str = "FullyReplicated") -> dict[str, Any]:
    return {"InputName": name, "AppManaged": False,
            "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": mode,
                        "S3DataDistributionType": distribution, "S3CompressionType": "None"}}


def processing_job_name(scheduled: dt.datetime) -> str:
    return f"model-monitoring-{scheduled.astimezone(dt.timezone.utc):%y%m%d%H%M}-{secrets.token_hex(12)}"


def output_uri(definition: JobDefinition, schedule: MonitoringSchedule, scheduled: dt.datetime,
               manual: bool) -> str:
    outputs = (definition.part("JobOutputConfig") or {}).get("MonitoringOutputs") or []
    base = outputs[0]["S3Output"]["S3Uri"].rstrip("/")
    suffix = f"{scheduled.astimezone(dt.timezone.utc):%Y/%m/%d/%H}"
    if manual:  # several runs in one hour each keep their own results
        suffix += f"/run-{scheduled.astimezone(dt.timezone.utc):%M%S%f}"
    return f"{base}/{schedule.endpoint_name}/{schedule.name}/{suffix}"


def processing_request(schedule: MonitoringSchedule, definition: JobDefinition, name: str, prefixes: list[str],
                       start: dt.datetime, end: dt.datetime, output: str) -> dict[str, Any]:
    """The CreateProcessingJob request of one execution."""
    app = definition.part("AppSpecification") or {}
    job_input = definition.part("JobInput") or {}
    endpoint_input = job_input.get("EndpointInput") or {}
    baseline = definition.part("BaselineConfig") or {}
    mode = endpoint_input.get("S3InputMode", "File")
    distribution = endpoint_input.get("S3DataDistributionType", "FullyReplicated")
    inputs = []
    for index, prefix in enumerate(prefixes, 1):
        relative = prefix.split(f"/{schedule.endpoint_name}/", 1)[-1]
        inputs.append(_s3_input(f"endpoint_input_{index}", prefix,
                                f"{ENDPOINT_LOCAL_PATH}/{schedule.endpoint_name}/{relative}", mode, distribution))
    environment: dict[str, str] = {
        "dataset_format": CAPTURE_FORMAT, "dataset_source": ENDPOINT_LOCAL_PATH, "output_path": OUTPUT_LOCAL_PATH,
        "publish_cloudwatch_metrics": "Disabled", "sagemaker_endpoint_name": str(schedule.endpoint_name),
        "sagemaker_monitoring_schedule_name": schedule.name, "start_time": stamp(start),
        "end_time": stamp(end, round_up=True),
        "metric_time": stamp(end),
    }
    constraints = (baseline.get("ConstraintsResource") or {}).get("S3Uri")
    statistics = (baseline.get("StatisticsResource") or {}).get("S3Uri")
    if constraints:
        inputs.append(_s3_input("constraints", constraints, BASELINE_CONSTRAINTS_PATH))
        environment["baseline_constraints"] = f"{BASELINE_CONSTRAINTS_PATH}/{_basename(constraints)}"
    if statistics:
        inputs.append(_s3_input("baseline", statistics, BASELINE_STATISTICS_PATH))
        environment["baseline_statistics"] = f"{BASELINE_STATISTICS_PATH}/{_basename(statistics)}"
    if definition.kind is DefinitionKind.MODEL_QUALITY:
        environment.update({"analysis_type": "MODEL_QUALITY", "problem_type": str(app.get("ProblemType", ""))})
        for member, variable in (("InferenceAttribute", "inference_attribute"),
                                 ("ProbabilityAttribute", "probability_attribute"),
                                 ("ProbabilityThresholdAttribute", "probability_threshold_attribute")):
            if endpoint_input.get(member) is not None:
                environment[variable] = str(endpoint_input[member])
        truth = (job_input.get("GroundTruthS3Input") or {}).get("S3Uri")
        if truth:
            inputs.append(_s3_input("groundtruth_input_1", truth.rstrip("/"), GROUND_TRUTH_LOCAL_PATH))
            environment["ground_truth_source"] = GROUND_TRUTH_LOCAL_PATH
    for member, variable in (("RecordPreprocessorSourceUri", "record_preprocessor_script"),
                             ("PostAnalyticsProcessorSourceUri", "post_analytics_processor_script")):
        if app.get(member):
            local = f"/opt/ml/processing/code/{variable}"
            inputs.append(_s3_input(variable, app[member], local))
            environment[variable] = f"{local}/{_basename(app[member])}"
    environment.update({str(k): str(v) for k, v in (app.get("Environment") or {}).items()})
    output_config = definition.part("JobOutputConfig") or {}
    cluster = (definition.request.get("JobResources") or {}).get("ClusterConfig") or {}
    request: dict[str, Any] = {
        "ProcessingJobName": name,
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "monitoring_output", "AppManaged": False,
                                                "S3Output": {"S3Uri": output, "LocalPath": OUTPUT_LOCAL_PATH,
                                                             "S3UploadMode": "EndOfJob"}}]},
        "ProcessingResources": {"ClusterConfig": {
            "InstanceCount": int(cluster.get("InstanceCount") or 1),
            "InstanceType": cluster.get("InstanceType") or "ml.m5.xlarge",
            "VolumeSizeInGB": int(cluster.get("VolumeSizeInGB") or 20)}},
        "StoppingCondition": definition.request.get("StoppingCondition") or {"MaxRuntimeInSeconds": 3600},
        "AppSpecification": {"ImageUri": app["ImageUri"],
                             **{k: app[k] for k in ("ContainerEntrypoint", "ContainerArguments") if app.get(k)}},
        "Environment": environment,
        "RoleArn": definition.request["RoleArn"],
    }
    if output_config.get("KmsKeyId"):
        request["ProcessingOutputConfig"]["KmsKeyId"] = output_config["KmsKeyId"]
    if definition.request.get("NetworkConfig"):
        request["NetworkConfig"] = definition.request["NetworkConfig"]
    return request


def _basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]
