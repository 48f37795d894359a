"""The SDK's experiment tracking against Sagecraft: ``with Run(...)`` logging parameters, metrics
(posted to sagemaker-metrics by the Run's background thread), files and charts (S3 + lineage);
``load_run``, ``list_runs``, ``ExperimentAnalytics(...).dataframe()`` and Search reading them back;
a training job started inside the run recorded as its trial component."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.cli import exports, sagecraft

pytestmark = pytest.mark.slow

TRAIN = textwrap.dedent("""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int)
    args, _ = parser.parse_known_args()
    print(f"val_auc={0.5 + args.depth / 10}")
""")

SCRIPT = textwrap.dedent("""
    import json, os, tempfile, time
    import sagemaker
    from sagemaker.analytics import ExperimentAnalytics
    from sagemaker.estimator import Estimator
    from sagemaker.experiments.run import Run, list_runs, load_run

    session = sagemaker.Session()
    experiment = os.environ["EXPERIMENT"]
    with Run(experiment_name=experiment, run_name="first-run", sagemaker_session=session) as run:
        run.log_parameter("learning_rate", 0.1)
        run.log_parameters({"optimizer": "adam", "epochs": 3})
        for step, loss in enumerate([0.9, 0.5, 0.3]):
            run.log_metric(name="loss", value=loss, step=step)
        notes = os.path.join(tempfile.mkdtemp(), "notes.txt")
        with open(notes, "w") as handle:
            handle.write("hello")
        run.log_file(notes, name="notes", is_output=True)
        run.log_confusion_matrix([0, 1, 1, 0], [0, 1, 0, 0], title="confusion")
        run.log_precision_recall([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.2], title="precision-recall")
        estimator = Estimator(image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1",
                              entry_point="train.py", source_dir=".", role="arn:aws:iam::000000000000:role/Role",
                              instance_count=1, instance_type="ml.m5.large", hyperparameters={"depth": 3},
                              metric_definitions=[{"Name": "val_auc", "Regex": "val_auc=([0-9.]+)"}],
                              output_path=f"s3://{session.default_bucket()}/{experiment}/output")
        estimator.fit(wait=True, logs=False)
        job = estimator.latest_training_job.name
        run_component = run._trial_component.trial_component_name

    with load_run(experiment_name=experiment, run_name="first-run", sagemaker_session=session) as run:
        run.log_metric(name="accuracy", value=0.8)
    with Run(experiment_name=experiment, run_name="second-run", sagemaker_session=session) as run:
        run.log_parameter("learning_rate", 0.01)
    runs = list_runs(experiment_name=experiment, sagemaker_session=session)

    deadline = time.monotonic() + 60
    while True:  # metrics are posted by a background thread: wait for every point
        frame = ExperimentAnalytics(experiment_name=experiment, sagemaker_session=session).dataframe()
        first = frame[frame["TrialComponentName"] == run_component]
        if len(first) and first.iloc[0].get("loss - Count") == 3 and first.iloc[0].get("accuracy - Count") == 1:
            break
        assert time.monotonic() < deadline, frame.to_dict("records")
        time.sleep(0.5)
    client = session.sagemaker_client
    found = client.search(Resource="ExperimentTrialComponent", SearchExpression={"Filters": [
        {"Name": "TrialComponentName", "Operator": "Equals", "Value": run_component}]})["Results"]
    component = found[0]["TrialComponent"]
    artifacts = client.list_associations(SourceArn=component["TrialComponentArn"])["AssociationSummaries"]
    job_row = frame[frame["TrialComponentName"] == f"{job}-aws-training-job"].iloc[0]
    print("RESULT " + json.dumps({
        "runs": sorted(r.run_name for r in runs),
        "row": {k: (v if not isinstance(v, float) or v == v else None) for k, v in first.iloc[0].items()
                if isinstance(v, (str, int, float, list))},
        "components": sorted(frame["TrialComponentName"]),
        "job_row": {"SourceArn": job_row["SourceArn"], "depth": float(job_row["depth"]),
                    "val_auc": float(job_row["val_auc - Last"]), "Trials": list(job_row["Trials"])},
        "job_config": client.describe_training_job(TrainingJobName=job)["ExperimentConfig"],
        "search": {"tags": component["Tags"], "parents": component["Parents"],
                   "status": component["Status"]["PrimaryStatus"]},
        "artifacts": sorted(a["DestinationType"] for a in artifacts),
        "outputs": sorted(component.get("OutputArtifacts", {})),
    }))
""")


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def test_run_logs_what_analytics_and_search_read(sdk_env, tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "user-home").mkdir()
    experiment = f"exp-{tmp_path.name[-12:].lower().replace('_', '-')}".rstrip("-")
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), "EXPERIMENT": experiment, **sdk_env}
    done = subprocess.run(
        [sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    result = json.loads(line[len("RESULT ") :])
    assert result["runs"] == ["first-run", "second-run"]
    row = result["row"]
    assert (row["learning_rate"], row["optimizer"], row["epochs"]) == (0.1, "adam", 3.0)
    assert (row["loss - Min"], row["loss - Max"], row["loss - Last"], row["loss - Count"]) == (0.3, 0.9, 0.3, 3)
    assert row["accuracy - Last"] == 0.8
    assert row["Experiments"] == [experiment] and row["Trials"] == [f"Default-Run-Group-{experiment}"]
    assert result["search"]["tags"] == [{"Key": "sagemaker:trial-component-source", "Value": "run"}]
    assert result["search"]["status"] == "Completed"
    assert "notes" in result["outputs"]
    assert result["artifacts"] == ["ConfusionMatrix", "PrecisionRecallCurve"]
    names = result["components"]
    assert f"{experiment}-first-run" in names and f"{experiment}-second-run" in names
    job = result["job_row"]
    assert ":training-job/" in job["SourceArn"] and job["depth"] == 3.0 and job["val_auc"] == 0.8
    assert job["Trials"] == [f"Default-Run-Group-{experiment}"]
    assert result["job_config"]["RunName"] == f"{experiment}-first-run"
