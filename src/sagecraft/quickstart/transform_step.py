"""The seed's batch-inference pattern: ``Transformer.transform()`` of the held-out features (CSV,
one record per line) with the model the approval deployed (``Transformer(model_name=…)``), then the
accuracy of the ``.out`` file's scores against the held-out labels. The SDK's own wait polls every 5 s: the step polls
DescribeTransformJob instead."""

from __future__ import annotations

import io
import time

from sagecraft.quickstart.context import PREFIX, QuickstartRun
from sagecraft.quickstart.deploy_step import held_out, metrics

TRANSFORM_SECONDS = 300.0


def batch_transform(run: QuickstartRun) -> str:
    import numpy as np
    from sagemaker.s3 import S3Downloader, S3Uploader
    from sagemaker.transformer import Transformer

    labels, features = held_out(run)
    text = io.StringIO()
    np.savetxt(text, features, delimiter=",", fmt="%.10g")
    input_uri = S3Uploader.upload_string_as_file_body(
        text.getvalue(), f"s3://{run.bucket}/{PREFIX}/batch-input/test.csv", sagemaker_session=run.sagemaker
    )
    output_uri = f"s3://{run.bucket}/{PREFIX}/batch-output"
    # The model the approval deployed (its container names the model package) transforms the batch.
    transformer = Transformer(
        model_name=run.approved_model_name, instance_count=1, instance_type="ml.m5.large", output_path=output_uri,
        accept="text/csv", assemble_with="Line", sagemaker_session=run.sagemaker,
    )
    transformer.transform(input_uri, content_type="text/csv", split_type="Line", wait=False, logs=False)
    job = transformer.latest_transform_job.name
    _wait(run, job)
    out = S3Downloader.read_file(f"{output_uri}/test.csv.out", sagemaker_session=run.sagemaker)
    scores = np.asarray([float(line) for line in out.split()])
    if len(scores) != len(labels):
        raise RuntimeError(f"transform job {job} wrote {len(scores)} scores for {len(labels)} rows")
    scored = metrics(labels, scores)
    run.facts["Batch transform"] = f"{job} → {output_uri}/test.csv.out: " + "  ".join(
        f"{k} {v:.3f}" for k, v in scored.items()
    )
    return (
        f"transform job {job} scored {len(scores)} held-out rows → {output_uri}/test.csv.out; "
        f"accuracy {scored['accuracy']:.3f}, F1 {scored['f1']:.3f}"
    )


def _wait(run: QuickstartRun, job: str) -> None:
    client = run.sagemaker.sagemaker_client
    deadline = time.monotonic() + TRANSFORM_SECONDS
    while time.monotonic() < deadline:
        described = client.describe_transform_job(TransformJobName=job)
        status = described["TransformJobStatus"]
        if status == "Completed":
            return
        if status != "InProgress":
            raise RuntimeError(
                f"transform job {job} is {status}: {described.get('FailureReason', '')}; its log: "
                f"`aws logs tail /aws/sagemaker/TransformJobs --log-stream-name-prefix {job}` "
                f'(after `eval "$(sagecraft env --home {run.home})"`)'
            )
        run.detail(f"{job} {status}")
        time.sleep(0.5)
    raise RuntimeError(f"transform job {job} did not complete within {TRANSFORM_SECONDS:.0f} s")
