"""The seed's processing and training patterns, through the official SageMaker SDK v2 exactly as
written (only the session comes from ``sagecraft env``), on scikit-learn's breast-cancer data."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.cli import exports, sagecraft

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"

PREPROCESSING = textwrap.dedent('''
    import glob, os
    import pandas as pd
    from sklearn.model_selection import train_test_split

    frame = pd.concat(pd.read_csv(path) for path in glob.glob("/opt/ml/processing/input/*.csv"))
    frame = frame[["target"] + [c for c in frame.columns if c != "target"]]  # label first, as XGBoost reads CSV
    train, rest = train_test_split(frame, test_size=0.3, random_state=42, stratify=frame["target"])
    validation, test = train_test_split(rest, test_size=0.5, random_state=42, stratify=rest["target"])
    os.makedirs("/opt/ml/processing/output", exist_ok=True)
    for name, part in (("train", train), ("validation", validation), ("test", test)):
        part.to_csv(f"/opt/ml/processing/output/{name}.csv", header=False, index=False)
    print("rows", len(train), len(validation), len(test))
''')

PROCESSING_SCRIPT = textwrap.dedent(f'''
    import json, os, tempfile
    import pandas as pd
    import sagemaker
    from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
    from sklearn.datasets import load_breast_cancer

    role = {ROLE!r}
    session = sagemaker.Session()
    bucket = session.default_bucket()
    data = load_breast_cancer(as_frame=True).frame
    folder = tempfile.mkdtemp()
    data.to_csv(os.path.join(folder, "breast_cancer.csv"), index=False)
    session.upload_data(os.path.join(folder, "breast_cancer.csv"), bucket=bucket,
                        key_prefix=os.environ["PREFIX"] + "/raw-data")

    processor = ScriptProcessor(command=['python3'], image_uri='python:3.8-slim', role=role,
                                instance_count=1, instance_type='ml.m5.xlarge')
    processor.run(code='preprocessing.py',
                  inputs=[ProcessingInput(source=f"s3://{{bucket}}/{{os.environ['PREFIX']}}/raw-data/",
                                          destination='/opt/ml/processing/input')],
                  outputs=[ProcessingOutput(output_name='processed-data', source='/opt/ml/processing/output')])
    description = processor.jobs[-1].describe()
    output = description["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    print("RESULT " + json.dumps({{"status": description["ProcessingJobStatus"], "output": output}}))
''')

TRAIN = textwrap.dedent('''
    import argparse, os
    import pandas as pd
    import xgboost as xgb

    parser = argparse.ArgumentParser()
    parser.add_argument("--objective", type=str, default="binary:logistic")
    parser.add_argument("--num_round", type=int, default=100)
    parser.add_argument("--model-dir", type=str, default=os.environ["SM_MODEL_DIR"])
    parser.add_argument("--train", type=str, default=os.environ["SM_CHANNEL_TRAIN"])
    parser.add_argument("--validation", type=str, default=os.environ["SM_CHANNEL_VALIDATION"])
    args, _ = parser.parse_known_args()

    def matrix(folder):
        frame = pd.concat(pd.read_csv(os.path.join(folder, f), header=None) for f in sorted(os.listdir(folder)))
        return xgb.DMatrix(frame.iloc[:, 1:].values, label=frame.iloc[:, 0].values)

    train, validation = matrix(args.train), matrix(args.validation)
    booster = xgb.train({"objective": args.objective, "eval_metric": "auc", "max_depth": 3, "eta": 0.2},
                        train, num_boost_round=args.num_round, evals=[(train, "train"), (validation, "validation")],
                        verbose_eval=20)
    booster.save_model(os.path.join(args.model_dir, "xgboost-model"))
''')

TRAINING_SCRIPT = textwrap.dedent(f'''
    import io, json, os, tarfile, tempfile
    import boto3
    import pandas as pd
    import sagemaker
    import xgboost as xgb
    from sagemaker.inputs import TrainingInput
    from sagemaker.xgboost import XGBoost
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    role = {ROLE!r}
    session = sagemaker.Session()
    bucket = session.default_bucket()
    prefix = os.environ["PREFIX"]
    data = load_breast_cancer(as_frame=True).frame
    data = data[["target"] + [c for c in data.columns if c != "target"]]
    train, rest = train_test_split(data, test_size=0.3, random_state=7, stratify=data["target"])
    validation, test = train_test_split(rest, test_size=0.5, random_state=7, stratify=rest["target"])
    uris = {{}}
    for name, part in (("train", train), ("validation", validation)):
        folder = tempfile.mkdtemp()
        part.to_csv(os.path.join(folder, f"{{name}}.csv"), header=False, index=False)
        uris[name] = session.upload_data(os.path.join(folder, f"{{name}}.csv"), bucket=bucket,
                                         key_prefix=f"{{prefix}}/{{name}}")
    train_data = TrainingInput(uris["train"], content_type="text/csv")
    val_data = TrainingInput(uris["validation"], content_type="text/csv")

    xgb_estimator = XGBoost(entry_point='train.py', role=role, instance_count=1, instance_type='ml.m5.xlarge',
                            framework_version='1.3-1',
                            hyperparameters={{'objective': 'binary:logistic', 'num_round': 100}})
    xgb_estimator.fit({{'train': train_data, 'validation': val_data}}, logs=True)

    model_uri = xgb_estimator.model_data
    bucket_name, key = model_uri[len("s3://"):].split("/", 1)
    body = boto3.client("s3").get_object(Bucket=bucket_name, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        model_file = os.path.join(tempfile.mkdtemp(), "xgboost-model")
        open(model_file, "wb").write(tar.extractfile("xgboost-model").read())
    booster = xgb.Booster()
    booster.load_model(model_file)
    scores = booster.predict(xgb.DMatrix(test.iloc[:, 1:].values))
    print("RESULT " + json.dumps({{"auc": roc_auc_score(test["target"], scores), "model": model_uri,
                                   "job": xgb_estimator.latest_training_job.name}}))
''')


@pytest.fixture(scope="module")
def sdk_env(server) -> dict[str, str]:
    result = sagecraft("env", "--home", server.home)
    assert result.returncode == 0, result.stderr
    return exports(result.stdout)


def run_sdk(script: str, tmp_path, env: dict[str, str], files: dict[str, str]) -> tuple[dict, str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "script.py").write_text(script)
    (tmp_path / "user-home").mkdir()
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), "PREFIX": tmp_path.name, **env}
    done = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    return json.loads(line[len("RESULT "):]), done.stdout


def test_the_seed_script_processor(server, sdk_env, tmp_path):
    result, _ = run_sdk(PROCESSING_SCRIPT, tmp_path, sdk_env, {"preprocessing.py": PREPROCESSING})
    assert result["status"] == "Completed"
    s3 = server.client("s3")
    bucket, prefix = result["output"][len("s3://"):].split("/", 1)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")["Contents"])
    assert keys == [f"{prefix}/{name}.csv" for name in ("test", "train", "validation")]
    train = s3.get_object(Bucket=bucket, Key=f"{prefix}/train.csv")["Body"].read().decode().splitlines()
    assert len(train) == 398 and len(train[0].split(",")) == 31


def test_the_seed_xgboost_script_mode(server, sdk_env, tmp_path):
    result, stdout = run_sdk(TRAINING_SCRIPT, tmp_path, sdk_env, {"train.py": TRAIN})
    assert result["auc"] > 0.95
    assert result["model"].endswith(f"/{result['job']}/output/model.tar.gz")
    # fit(logs=True) tailed the job's CloudWatch stream: xgboost's evaluation lines came through.
    assert "validation-auc" in stdout
    assert "Completed - Training job completed" in stdout
