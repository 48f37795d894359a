"""The seed's Model Monitor pattern on the capture-enabled endpoint: ``DefaultModelMonitor``
suggests a baseline from the training features (CSV with a header), shifted traffic is sent (some
features moved by a few standard deviations, one partly missing), a one-time monitoring schedule
(``CronExpressionGenerator.now()`` over the last hour of capture) runs an execution at once, and its
constraint violations are read back through the SDK."""

from __future__ import annotations

import contextlib
import io
import time

from sagecraft.quickstart.context import PREFIX, QuickstartRun
from sagecraft.quickstart.deploy_step import CAPTURE_URI, captured_records, held_out
from sagecraft.quickstart.feature_step import feature_names, split_rows

SHIFTED = {"mean_radius": 3.0, "worst_area": -3.0}  # feature → shift in standard deviations (data is scaled)
PARTLY_MISSING = "mean_texture"  # this share of its values is sent empty
MISSING_SHARE = 0.4
EXECUTION_SECONDS = 300.0


def monitor(run: QuickstartRun) -> str:
    import numpy as np
    from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor
    from sagemaker.model_monitor.dataset_format import DatasetFormat
    from sagemaker.s3 import S3Uploader

    names = feature_names(run)
    train = split_rows(run, "train")[:, 1:]  # the features the model was trained on, without the label
    body = io.StringIO()
    np.savetxt(body, train, delimiter=",", fmt="%.10g", header=",".join(names), comments="")
    baseline_data = S3Uploader.upload_string_as_file_body(
        body.getvalue(),
        f"s3://{run.bucket}/{PREFIX}/monitoring/baseline-data/train.csv",
        sagemaker_session=run.sagemaker,
    )
    monitor = DefaultModelMonitor(
        role=run.role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        volume_size_in_gb=20,
        max_runtime_in_seconds=1800,
        sagemaker_session=run.sagemaker,
    )
    run.detail("suggest_baseline on the training features")
    with contextlib.redirect_stdout(io.StringIO()):  # the SDK's progress dots
        monitor.suggest_baseline(
            baseline_dataset=baseline_data,
            dataset_format=DatasetFormat.csv(header=True),
            output_s3_uri=f"s3://{run.bucket}/{PREFIX}/monitoring/baseline",
            wait=True,
            logs=False,
        )
    suggested = monitor.suggested_constraints().body_dict["features"]

    rows = _shifted_traffic(run, names)
    # One record per request, as online traffic arrives (the capture then holds one record each).
    runtime = run.sagemaker.sagemaker_runtime_client
    capture_uri = CAPTURE_URI.format(bucket=run.bucket)
    before = captured_records(run, run.endpoint_name, capture_uri, 0)  # what the deploy step sent
    for number, row in enumerate(rows, 1):
        if number % 20 == 0:
            run.detail(f"sending shifted rows: {number} of {len(rows)}")
        runtime.invoke_endpoint(EndpointName=run.endpoint_name, ContentType="text/csv", Body=row.encode())
    # Capture files are written off the request path: the window must hold every record sent.
    captured = captured_records(run, run.endpoint_name, capture_uri, before + len(rows))
    if captured < before + len(rows):
        raise RuntimeError(f"{run.endpoint_name} captured {captured - before} of the {len(rows)} requests sent")

    schedule = f"{PREFIX}-data-quality-{time.strftime('%Y%m%d-%H%M%S')}"
    run.monitoring_schedule = schedule
    monitor.create_monitoring_schedule(
        endpoint_input=run.endpoint_name,
        monitor_schedule_name=schedule,
        output_s3_uri=f"s3://{run.bucket}/{PREFIX}/monitoring/reports",
        statistics=monitor.baseline_statistics(),
        constraints=monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.now(),
        data_analysis_start_time="-PT1H",
        data_analysis_end_time="-PT0H",
        # CloudWatch metrics off: with a partly missing feature the analyzer's PutMetricData is refused
        # ("The request body is not valid JSON"), which fails the execution.
        enable_cloudwatch_metrics=False,
    )
    summary = _wait_execution(run, schedule)
    executions = monitor.list_executions()
    if not executions:
        raise RuntimeError(f"schedule {schedule} lists no execution")
    violations = executions[-1].constraint_violations().body_dict["violations"]
    found = sorted({(v["feature_name"], v["constraint_check_type"]) for v in violations})
    run.facts["Monitoring schedule"] = f"{schedule}: {summary['MonitoringExecutionStatus']}"
    run.facts["Violations"] = "; ".join(f"{feature} {check}" for feature, check in found)
    return (
        f"baseline of {len(suggested)} features from {len(train)} training rows; {len(rows)} shifted rows "
        f"sent ({', '.join(f'{k} {v:+.0f} sd' for k, v in SHIFTED.items())}, {PARTLY_MISSING} "
        f"{MISSING_SHARE:.0%} missing); one-time schedule {schedule} → {summary['MonitoringExecutionStatus']}, "
        f"{len(violations)} violations: " + ", ".join(f"{feature} {check}" for feature, check in found)
    )


def _shifted_traffic(run: QuickstartRun, names: list[str]) -> list[str]:
    """The validation and held-out rows (unseen in training, all distinct), with the drift the monitor
    should find, as CSV lines."""
    import numpy as np

    _labels, test = held_out(run)
    rows = np.vstack([split_rows(run, "validation")[:, 1:], test])
    for feature, sigmas in SHIFTED.items():
        rows[:, names.index(feature)] += sigmas  # the splits are standardized: one standard deviation is 1
    missing = np.random.default_rng(42).random(len(rows)) < MISSING_SHARE
    column = names.index(PARTLY_MISSING)
    lines = []
    for row, blank in zip(rows, missing, strict=True):
        values = [f"{v:.6g}" for v in row]
        if blank:
            values[column] = ""
        lines.append(",".join(values))
    return lines


def _wait_execution(run: QuickstartRun, schedule: str) -> dict:
    client = run.sagemaker.sagemaker_client
    deadline = time.monotonic() + EXECUTION_SECONDS
    while time.monotonic() < deadline:
        described = client.describe_monitoring_schedule(MonitoringScheduleName=schedule)
        last = described.get("LastMonitoringExecutionSummary")
        if last:
            status = last["MonitoringExecutionStatus"]
            if status in ("Completed", "CompletedWithViolations"):
                return last
            if status not in ("Pending", "InProgress"):
                job = last.get("ProcessingJobArn", "").rsplit("/", 1)[-1]
                raise RuntimeError(
                    f"the monitoring execution of {schedule} is {status}: "
                    f"{last.get('FailureReason', '')}; its log: `sagecraft jobs logs {job} "
                    f"--home {run.home}`"
                )
            run.detail(f"{schedule}: execution {status}")
        else:
            run.detail(f"{schedule}: {described['MonitoringScheduleStatus']}, waiting for its execution")
        time.sleep(0.5)
    raise RuntimeError(f"schedule {schedule} ran no execution to its end within {EXECUTION_SECONDS:.0f} s")
