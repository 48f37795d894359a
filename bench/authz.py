"""Authorization cost: SigV4 verification + policy evaluation per request, and its effect on
InvokeEndpoint throughput.

1. In process: an IAM user with 10 attached managed policies of 20 statements each (conditions,
   wildcards, NotAction; the statement that allows the call is the last one). Time per decision of
   the gateway's authorizer (action/resource/context derivation + evaluation, cached policies) and
   of SigV4 verification of a botocore-signed InvokeEndpoint request. Goal: < 0.2 ms p50 each.
2. Over HTTP: a built-in-XGBoost endpoint; InvokeEndpoint from one boto3 client per thread, as the
   account root (never evaluated) and as that user (evaluated on every call), alternating rounds.
   Goal: < 10 % throughput loss.

    .venv/bin/python bench/authz.py [--calls 2000] [--threads 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import numpy as np
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))
from peers import start_sagecraft  # noqa: E402
from sagecraft.core.context import Principal, RequestContext  # noqa: E402
from sagecraft.security import sigv4  # noqa: E402
from sagecraft.services.iam.authorizer import Authorizer  # noqa: E402
from sagecraft.services.iam.policies import IamPolicies  # noqa: E402
from sagecraft.services.iam.service import IamService  # noqa: E402
from sagecraft.storage.metadata import MetadataStore  # noqa: E402
from tests.api.hosting.hosting_support import deploy, train_booster, upload_tar, wait_status  # noqa: E402

REGION, ACCOUNT = "us-east-1", "000000000000"
SERVICES = ["s3", "logs", "cloudwatch", "kms", "glue", "athena", "sts", "iam", "sagemaker", "application-autoscaling"]


def policy_document(index: int, last: bool) -> str:
    """20 statements that do not allow InvokeEndpoint, except the very last one of the last policy."""
    statements = []
    for n in range(20):
        service = SERVICES[(index + n) % len(SERVICES)]
        statement = {"Sid": f"S{index}x{n}", "Effect": "Allow", "Action": [f"{service}:Get*", f"{service}:List*"],
                     "Resource": f"arn:aws:{service}:*:{ACCOUNT}:thing-{n}/*"}
        if n % 3 == 0:
            statement["Condition"] = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
                                      "Bool": {"aws:SecureTransport": "true"}}
        if n % 5 == 0:
            statement = {"Sid": f"S{index}x{n}", "Effect": "Deny", "NotAction": ["sagemaker:*", "s3:*", "sts:*"],
                         "Resource": f"arn:aws:{service}:*:{ACCOUNT}:secret-{n}"}
        statements.append(statement)
    if last:
        statements[-1] = {"Sid": "Invoke", "Effect": "Allow", "Action": "sagemaker:InvokeEndpoint",
                          "Resource": f"arn:aws:sagemaker:*:{ACCOUNT}:endpoint/*"}
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def percentile(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(q * len(samples)))]


def in_process(calls: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = MetadataStore.open(f"sqlite:///{tmp}/metadata.sqlite3")
        iam = IamService(store)
        policies = IamPolicies(iam)
        authorizer = Authorizer(iam, policies)
        user = iam.create(ACCOUNT, "user", "bench")
        for index in range(10):
            policy = policies.create_policy(ACCOUNT, f"bench-p{index}", policy_document(index, index == 9))
            policies.attach(ACCOUNT, "user", "bench", policy.arn)
        context = RequestContext(Principal("AKIABENCH", user.arn, user.unique_id, ACCOUNT), REGION, ACCOUNT,
                                 source_ip="127.0.0.1", endpoint_url="http://127.0.0.1")
        params = {"EndpointName": "bench-endpoint", "Body": b"1,2,3", "ContentType": "text/csv"}
        decisions = []
        for _ in range(calls):
            started = time.perf_counter()
            authorizer.authorize(context, "sagemaker-runtime", "InvokeEndpoint", params)
            decisions.append(time.perf_counter() - started)
        store.close()
    request = AWSRequest("POST", "http://127.0.0.1:8642/endpoints/bench-endpoint/invocations", data=b"1,2,3",
                         headers={"Content-Type": "text/csv"})
    SigV4Auth(Credentials("AKIABENCH", "secret" * 6), "sagemaker", REGION).add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()} | {"host": "127.0.0.1:8642"}
    body_hash = hashlib.sha256(b"1,2,3").hexdigest()
    verifications = []
    for _ in range(calls):
        started = time.perf_counter()
        signature = sigv4.read_signature(headers, [])
        sigv4.verify("secret" * 6, "POST", "/endpoints/bench-endpoint/invocations", [], headers, signature,
                     body_hash)
        verifications.append(time.perf_counter() - started)
    return {"decision_p50_ms": percentile(decisions, 0.5) * 1000,
            "decision_p99_ms": percentile(decisions, 0.99) * 1000,
            "sigv4_p50_ms": percentile(verifications, 0.5) * 1000,
            "sigv4_p99_ms": percentile(verifications, 0.99) * 1000}


def throughput(client, endpoint: str, row: str, calls: int, threads: int) -> float:
    per_thread = calls // threads

    def run() -> None:
        for _ in range(per_thread):
            client.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=row)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return per_thread * threads / (time.perf_counter() - started)


def over_http(calls: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        server, url, (key_id, secret) = start_sagecraft(home)
        try:
            session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)
            config = Config(retries={"max_attempts": 1}, max_pool_connections=threads + 2)
            s3, sm, iam = (session.client(s, endpoint_url=url, config=config) for s in ("s3", "sagemaker", "iam"))
            s3.create_bucket(Bucket="authz-bench")
            _, path, features = train_booster(Path(tmp))
            model = upload_tar(s3, "authz-bench", "model.tar.gz", {"xgboost-model": path.read_bytes()})
            endpoint = deploy(sm, model)
            wait_status(sm, endpoint)
            iam.create_user(UserName="bench")
            for index in range(10):
                arn = iam.create_policy(PolicyName=f"bench-p{index}",
                                        PolicyDocument=policy_document(index, index == 9))["Policy"]["Arn"]
                iam.attach_user_policy(UserName="bench", PolicyArn=arn)
            key = iam.create_access_key(UserName="bench")["AccessKey"]
            user = boto3.client("sagemaker-runtime", endpoint_url=url, region_name=REGION, config=config,
                                aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
            root = session.client("sagemaker-runtime", endpoint_url=url, config=config)
            row = ",".join(f"{v:.6f}" for v in np.asarray(features[0]))
            throughput(root, endpoint, row, 200, threads)  # warm both paths
            throughput(user, endpoint, row, 200, threads)
            rounds = {"root": [], "user": []}
            for _ in range(3):
                rounds["root"].append(throughput(root, endpoint, row, calls, threads))
                rounds["user"].append(throughput(user, endpoint, row, calls, threads))
        finally:
            server.stop()
    root_rps, user_rps = statistics.median(rounds["root"]), statistics.median(rounds["user"])
    return {"root_req_per_s": root_rps, "user_req_per_s": user_rps, "loss_percent": (1 - user_rps / root_rps) * 100}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    result = {**in_process(args.calls * 5), **over_http(args.calls, args.threads), "threads": args.threads}
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}))


if __name__ == "__main__":
    main()
