"""``sagecraft tuning ls | describe [--watch]`` against a running server."""

from __future__ import annotations

from tests.api.tuning.tuning_support import (
    SCRIPT,
    children,
    multi_algorithm_request,
    tuning_request,
    unique,
    upload_source,
    wait_tuning,
)
from tests.support.cli import sagecraft


def test_describe_watch_follows_the_tuning_job_and_marks_the_best(server):
    sm, s3 = server.client("sagemaker"), server.client("s3")
    bucket = unique("cli-tuning")
    s3.create_bucket(Bucket=bucket)
    name = unique("cli-tn")
    sm.create_hyper_parameter_tuning_job(**tuning_request(name, bucket, upload_source(s3, bucket, SCRIPT),
                                                          max_jobs=3, parallel=2, sleep=1))
    watched = sagecraft("tuning", "describe", name, "--watch", "--home", server.home, timeout=180)
    assert watched.returncode == 0, watched.stderr
    done = wait_tuning(sm, name, timeout=5)  # --watch returned: the tuning job has ended
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    lines = watched.stdout.splitlines()
    best = done["BestTrainingJob"]["TrainingJobName"]
    for trial in children(sm, name):
        (row,) = [line for line in lines if trial["TrainingJobName"] in line and "best" not in line]
        assert trial["TrainingJobStatus"] in row
        assert f"{trial['FinalHyperParameterTuningJobObjectiveMetric']['Value']:.6g}" in row
        assert trial["TunedHyperParameters"]["mode"] in row
        assert ("★" in row) == (trial["TrainingJobName"] == best)
    assert any(line.startswith("Completed") and f"best {best}" in line for line in lines)

    listed = sagecraft("tuning", "ls", "--home", server.home)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if name in line)
    assert "Completed" in row and "Random" in row and "3/3" in row


def test_describe_of_a_missing_tuning_job_fails(server):
    missing = sagecraft("tuning", "describe", unique("cli-none"), "--home", server.home)
    assert missing.returncode == 1 and "can't find a tuning job" in missing.stderr


def test_describe_of_a_multi_algorithm_job_shows_each_trials_definition(server):
    sm, s3 = server.client("sagemaker"), server.client("s3")
    bucket = unique("cli-multi")
    s3.create_bucket(Bucket=bucket)
    name = unique("cli-mt")
    sm.create_hyper_parameter_tuning_job(**multi_algorithm_request(name, bucket, upload_source(s3, bucket, SCRIPT),
                                                                   max_jobs=2, parallel=2))
    wait_tuning(sm, name)
    shown = sagecraft("tuning", "describe", name, "--home", server.home)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert any("Maximize objective / beta-objective" in line for line in lines)
    assert any("Definition" in line for line in lines)
    for trial in children(sm, name):
        (row,) = [line for line in lines if trial["TrainingJobName"] in line and "best" not in line]
        assert trial["TrainingJobDefinitionName"] in row
        assert f"{trial['FinalHyperParameterTuningJobObjectiveMetric']['Value']:.6g}" in row
