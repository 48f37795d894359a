"""The seed's data-preparation pattern "Processing → Feature Store → training data": the processed
training rows go into a feature group with an online and an offline store (``FeatureGroup.create``
and ``ingest``), then the training set is built back from the offline store with the SDK's
point-in-time join (``FeatureStore.create_dataset``), and checked against what was ingested.

``ingest`` runs with one worker in this process: with more, the SDK forks processes that build
fresh boto3 sessions from the environment, and forking a process that hosts the embedded server's
threads is not safe. The dataset builder runs its Athena queries, which flush the offline store
first; like the SDK everywhere, it writes its temporary CSV files in the working directory."""

from __future__ import annotations

import io
import json
import time

from sagecraft.quickstart.context import PREFIX, QuickstartRun

RECORD_ID = "record_id"
EVENT_TIME = "event_time"
LABEL = "target"
GROUP_SECONDS = 60.0


def feature_store(run: QuickstartRun) -> str:
    import numpy as np
    import pandas as pd
    from sagemaker.feature_store.feature_group import FeatureGroup
    from sagemaker.feature_store.feature_store import FeatureStore
    from sagemaker.s3 import S3Downloader, S3Uploader

    names = feature_names(run)
    rows = split_rows(run, "train")
    frame = pd.DataFrame(rows[:, 1:], columns=names)
    frame.insert(0, LABEL, rows[:, 0].astype("int64"))
    frame.insert(0, EVENT_TIME, round(time.time(), 3))
    frame.insert(0, RECORD_ID, pd.array([f"train-{i:04d}" for i in range(len(frame))], dtype="string"))

    run.feature_group = f"{PREFIX}-breast-cancer-{time.strftime('%Y%m%d-%H%M%S')}"
    group = FeatureGroup(name=run.feature_group, sagemaker_session=run.sagemaker)
    group.load_feature_definitions(frame)
    offline_uri = f"s3://{run.bucket}/{PREFIX}/feature-store"
    run.detail(f"creating feature group {run.feature_group}")
    group.create(
        s3_uri=offline_uri,
        record_identifier_name=RECORD_ID,
        event_time_feature_name=EVENT_TIME,
        role_arn=run.role,
        enable_online_store=True,
    )
    _wait_created(run, group)
    run.detail(f"ingesting {len(frame)} records")
    group.ingest(frame, max_workers=1, wait=True)
    online = run.boto.client("sagemaker-featurestore-runtime").get_record(
        FeatureGroupName=run.feature_group, RecordIdentifierValueAsString=frame[RECORD_ID].iloc[-1]
    )["Record"]

    run.detail("point-in-time join over the offline store (Athena)")
    entities = frame[[RECORD_ID, EVENT_TIME]].astype({RECORD_ID: object})  # the builder refuses pandas' "string"
    builder = FeatureStore(sagemaker_session=run.sagemaker).create_dataset(
        base=entities,
        output_path=f"s3://{run.bucket}/{PREFIX}/feature-store-datasets",
        record_identifier_feature_name=RECORD_ID,
        event_time_identifier_feature_name=EVENT_TIME,
    )
    dataset, _query = (
        builder.with_feature_group(group, included_feature_names=[LABEL, *names])
        .point_in_time_accurate_join()
        .to_dataframe()
    )
    if len(dataset) != len(frame):
        raise RuntimeError(
            f"the point-in-time join of {run.feature_group} returned {len(dataset)} rows, {len(frame)} were ingested"
        )
    # The SDK names the first joined group's columns "<feature>.1".
    joined = dataset.sort_values(RECORD_ID)[[f"{name}.1" for name in (LABEL, *names)]].to_numpy(dtype=float)
    if not np.allclose(joined, frame.sort_values(RECORD_ID)[[LABEL, *names]].to_numpy(dtype=float)):
        raise RuntimeError(f"the training set built from {run.feature_group} differs from the ingested rows")
    csv = io.StringIO()
    np.savetxt(csv, joined, delimiter=",", fmt="%.10g")  # label first, no header: what XGBoost reads
    run.feature_dataset_uri = S3Uploader.upload_string_as_file_body(
        csv.getvalue(), f"s3://{run.bucket}/{PREFIX}/feature-store-train/train.csv", sagemaker_session=run.sagemaker
    )
    resolved = group.describe()["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
    parquet = [uri for uri in S3Downloader.list(resolved, sagemaker_session=run.sagemaker) if uri.endswith(".parquet")]
    run.facts["Feature group"] = (
        f"{run.feature_group} ({len(frame)} records, {len(names) + 1} features + id "
        f"and event time; {len(parquet)} offline Parquet file(s))"
    )
    run.facts["Feature-store training set"] = f"{run.feature_dataset_uri} ({len(dataset)} rows)"
    return (
        f"{len(frame)} train rows ingested into {run.feature_group} (online GetRecord has "
        f"{len(online)} features); point-in-time join over {len(parquet)} offline Parquet file(s) "
        f"returned {len(dataset)} rows, equal to the ingested ones → {run.feature_dataset_uri}"
    )


def feature_names(run: QuickstartRun) -> list[str]:
    """The processing job's scaler file names the columns (the splits have no header)."""
    from sagemaker.s3 import S3Downloader

    scaler_uri = run.split_uris["train"].rsplit("/", 1)[0] + "/scaler/scaler.json"
    return json.loads(S3Downloader.read_file(scaler_uri, sagemaker_session=run.sagemaker))["features"]


def split_rows(run: QuickstartRun, split: str):
    import numpy as np
    from sagemaker.s3 import S3Downloader

    text = "".join(
        S3Downloader.read_file(uri, sagemaker_session=run.sagemaker)
        for uri in sorted(S3Downloader.list(run.split_uris[split], sagemaker_session=run.sagemaker))
    )
    return np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)


def _wait_created(run: QuickstartRun, group) -> None:
    deadline = time.monotonic() + GROUP_SECONDS
    while time.monotonic() < deadline:
        described = group.describe()
        status = described["FeatureGroupStatus"]
        if status == "Created":
            return
        if status != "Creating":
            raise RuntimeError(f"feature group {group.name} is {status}: {described.get('FailureReason', '')}")
        time.sleep(0.2)
    raise RuntimeError(f"feature group {group.name} was not Created within {GROUP_SECONDS:.0f} s")
