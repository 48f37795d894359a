"""Serving benchmark (issue 4): the same XGBoost booster (breast cancer, 100 rounds) answering one
single-row request, driven by ``wrk`` on loopback at concurrency 1 and 16, side by side:

- Sagecraft: InvokeEndpoint of a built-in-XGBoost endpoint (SigV4-signed once; wrk replays the
  signed request unchanged, which SigV4 allows within its 15-minute window);
- the peers, through the shared reference scripts (/work/shared/reference/peers): the bare uvicorn
  app calling ``inplace_predict`` (the floor), ``mlflow models serve``, BentoML, Ray Serve.

usage: python bench/serving.py [--duration 10] [--reps 3] [--conc 1,16] [--peers raw,mlflow,bentoml,ray]
                               [--baseline-src DIR]

The servers take turns rep by rep (Sagecraft, then each peer, started afresh per rep), so a change
of the shared machine's load hits every side: read the ratios. ``--baseline-src`` serves a second
Sagecraft from another source tree (e.g. the code before a change) in the same reps.

Peer venvs: bench/.venv-serve (mlflow, uvicorn[standard], …), bench/.venv-bento, bench/.venv-ray,
created on first use (pip). A peer whose venv cannot be built is reported as missing, with why.
Prints a Markdown table (and the JSON lines) with each row's ratio to the best peer and the floor."""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import BENCH, start_sagecraft

REFERENCE = Path("/work/shared/reference/peers")
SCRIPTS = ("serve_bench.py", "serve_train.py", "raw_server.py", "bento_service.py", "ray_service.py", "wrk_post.lua")
VENVS = {  # the reference README's packages for each peer venv
    "serve": ["mlflow", "xgboost", "scikit-learn", "starlette", "uvicorn[standard]", "httpx", "pandas", "pyarrow"],
    "bento": ["bentoml", "xgboost", "scikit-learn"],
    "ray": ["ray[serve]", "xgboost", "scikit-learn"],
}
PEER_VENV = {"raw": "serve", "mlflow": "serve", "bentoml": "bento", "ray": "ray"}
PEER_FORMAT = {"raw": "csv", "mlflow": "csv", "bentoml": "json", "ray": "json"}
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
REGION = "us-east-1"

# wrk: the signed request's headers, replayed unchanged; one JSON line at the end (as wrk_post.lua).
SIGNED_LUA = """
local f = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
for line in io.lines(os.getenv("WRK_HEADERS_FILE")) do
  local name, value = line:match("^([^:]+): (.*)$")
  if name then wrk.headers[name] = value end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,' ..
    '"err_timeout":%d,"p50_us":%d,"p99_us":%d}\\n', summary.requests, summary.duration, e.connect, e.read,
    e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def emit(**values) -> None:
    print(json.dumps(values), flush=True)


def venv(name: str) -> tuple[Path | None, str]:
    """bench/.venv-<name> with the peer's packages (built on first use): (python, "") or (None, why)."""
    folder = BENCH / f".venv-{name}"
    python = folder / "bin" / "python"
    marker = folder / ".installed"
    if not marker.exists():
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        done = subprocess.run([str(folder / "bin" / "pip"), "install", "-q", *VENVS[name]], capture_output=True,
                              text=True)
        if done.returncode != 0:
            return None, f"pip install {' '.join(VENVS[name])} failed: {done.stderr.strip().splitlines()[-1:]}"
        marker.touch()
    return python, ""


def prepare_peers(peers_dir: Path) -> None:
    (peers_dir / "logs").mkdir(parents=True, exist_ok=True)
    for script in SCRIPTS:
        shutil.copy(REFERENCE / script, peers_dir / script)
    for name in VENVS:  # serve_bench.py expects <PEERS_DIR>/venv-<name>
        link = peers_dir / f"venv-{name}"
        if not link.exists() and (BENCH / f".venv-{name}").exists():
            link.symlink_to(BENCH / f".venv-{name}")


def run_peer(python: Path, peers_dir: Path, peer: str, args: argparse.Namespace) -> list[dict]:
    env = {**os.environ, "PEERS_DIR": str(peers_dir)}
    done = subprocess.run([str(python), "serve_bench.py", "--server", peer, "--duration", str(args.duration),
                           "--reps", "1", "--conc", args.conc, "--formats", PEER_FORMAT[peer]],
                          cwd=peers_dir, env=env, capture_output=True, text=True)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for line in lines:
        if line.get("bench") != "serve_load":
            print(json.dumps(line), flush=True)
    if done.returncode != 0:
        emit(bench="serve_peer_failed", server=peer, stderr=done.stderr.strip().splitlines()[-3:])
    return lines


class SagecraftSide:
    """Deploys the peers' booster (re-saved as JSON, as the built-in algorithm saves it) behind one
    Sagecraft server and drives its InvokeEndpoint with wrk, one load at a time."""

    def __init__(self, peers_dir: Path, name: str = "sagecraft", source: str | None = None) -> None:
        """``source``: another Sagecraft source tree (its ``src`` folder) to serve instead of this one."""
        import xgboost

        self.name = name

        models = peers_dir / "models"
        booster = xgboost.Booster()
        booster.load_model(str(models / "xgb.ubj"))
        self.work = work = Path(tempfile.mkdtemp(prefix="sagecraft-serving-"))
        booster.save_model(str(work / "xgboost-model.json"))
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w:gz") as tar:
            tar.add(work / "xgboost-model.json", arcname="xgboost-model")
        row = (models / "req.csv").read_text().splitlines()[1]  # the built-in algorithm's CSV has no header
        expected = json.loads((models / "expected.json").read_text())["prediction"]
        saved = dict(os.environ)
        if source:  # the server imports that tree first (its model servers, started with their image's
            os.environ["PYTHONPATH"] = source  # environment, run the installed tree's worker)
        try:
            self.server, url, (key, secret) = start_sagecraft(work / "home")
        finally:
            os.environ.clear()
            os.environ.update(saved)
        session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION)
        s3, sm = session.client("s3", endpoint_url=url), session.client("sagemaker", endpoint_url=url)
        runtime = session.client("sagemaker-runtime", endpoint_url=url)
        s3.create_bucket(Bucket="serving-bench")
        s3.put_object(Bucket="serving-bench", Key="model.tar.gz", Body=archive.getvalue())
        sm.create_model(ModelName="bench", ExecutionRoleArn=ROLE, PrimaryContainer={
            "Image": IMAGE, "ModelDataUrl": "s3://serving-bench/model.tar.gz"})
        sm.create_endpoint_config(EndpointConfigName="bench", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": "bench", "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.xlarge"}])
        started = time.monotonic()
        sm.create_endpoint(EndpointName="bench", EndpointConfigName="bench")
        while (status := sm.describe_endpoint(EndpointName="bench")["EndpointStatus"]) == "Creating":
            time.sleep(0.1)
        answer = float(runtime.invoke_endpoint(EndpointName="bench", ContentType="text/csv",
                                               Body=row)["Body"].read())
        emit(bench="serve_ready", server=name, status=status, startup_s=round(time.monotonic() - started, 2),
             checks={"csv": {"pred": answer, "ok": abs(answer - expected) < 1e-6}}, expected=expected)
        self.url = f"{url}/endpoints/bench/invocations"
        body_file, headers_file, self.lua = work / "body.csv", work / "headers.txt", work / "signed.lua"
        body_file.write_text(row)
        self.lua.write_text(SIGNED_LUA)
        request = AWSRequest("POST", self.url, data=row.encode(), headers={"Content-Type": "text/csv"})
        SigV4Auth(session.get_credentials(), "sagemaker", REGION).add_auth(request)
        headers_file.write_text("".join(f"{k}: {v}\n" for k, v in request.headers.items()))
        self.env = {**os.environ, "WRK_BODY_FILE": str(body_file), "WRK_HEADERS_FILE": str(headers_file)}
        wrk(self.url, self.lua, self.env, 16, 3)  # warm-up, discarded (as serve_bench.py does)

    def load(self, conc: int, duration: int) -> dict:
        return wrk(self.url, self.lua, self.env, conc, duration)

    def close(self) -> None:
        self.server.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def summary(server: str, fmt: str, conc: int, duration: int, reps: list[dict]) -> dict:
    """One row: medians over the repetitions (each a wrk result, or a peer's one-rep serve_load line)."""
    def median(key: str) -> float:
        return statistics.median(r[key] for r in reps)

    return dict(bench="serve_load", server=server, fmt=fmt, conc=conc, duration_s=duration, reps=len(reps),
                rps_median=median("rps"), p50_ms_median=round(median("p50_ms"), 3),
                p99_ms_median=round(median("p99_ms"), 3), rps_all=[r["rps"] for r in reps],
                errors=sum(r["errors"] for r in reps))


def wrk(url: str, lua: Path, env: dict[str, str], conc: int, duration: int) -> dict:
    done = subprocess.run(["wrk", "-t1", f"-c{conc}", f"-d{duration}s", "--timeout", "5s", "-s", str(lua), url],
                          env=env, capture_output=True, text=True, timeout=duration + 30)
    result = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    return result


def table(loads: list[dict]) -> str:
    rows = ["| server | format | concurrency | req/s (median) | p50 ms | p99 ms | errors | x best peer | "
            "% of floor |", "|---|---|---|---|---|---|---|---|---|"]
    for conc in sorted({r["conc"] for r in loads}):
        at = [r for r in loads if r["conc"] == conc]
        peers = [r["rps_median"] for r in at if not r["server"].startswith("sagecraft") and r["server"] != "raw"]
        floor = next((r["rps_median"] for r in at if r["server"] == "raw"), None)
        for r in sorted(at, key=lambda r: -r["rps_median"]):
            best = f"{r['rps_median'] / max(peers):.2f}" if peers else "-"
            of_floor = f"{100 * r['rps_median'] / floor:.0f} %" if floor else "-"
            rows.append(f"| {r['server']} | {r['fmt']} | {conc} | {r['rps_median']:,.0f} | {r['p50_ms_median']} | "
                        f"{r['p99_ms_median']} | {r['errors']} | {best} | {of_floor} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--conc", default="1,16")
    parser.add_argument("--peers", default="raw,mlflow,bentoml,ray")
    parser.add_argument("--baseline-src", help="another Sagecraft src folder (e.g. the code before a change), measured "
                        "in the same reps as sagecraft-baseline")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")
    peers_dir = Path(tempfile.mkdtemp(prefix="sagecraft-peers-"))
    serve_python, why = venv("serve")
    if serve_python is None:
        sys.exit(f"the peers' model cannot be trained: {why}")
    prepare_peers(peers_dir)
    # serve_train.py's model and payloads, without its in-process latency loops (minutes on a busy
    # machine; the floor that matters here is the raw HTTP server's, measured below).
    shim = "import serve_train; serve_train.lat = lambda fn, n, warm=0: {'calls': 0}; serve_train.main()"
    train = subprocess.run([str(serve_python), "-c", shim], cwd=peers_dir, capture_output=True, text=True,
                           env={**os.environ, "PEERS_DIR": str(peers_dir)}, check=True)
    for line in train.stdout.splitlines():
        print(line, flush=True)
    # Rep by rep, Sagecraft then each peer (a fresh peer server per rep, as serve_bench.py runs it): a
    # change of the shared machine's load hits every side, so the ratios hold when the absolute numbers do not.
    concs = [int(c) for c in args.conc.split(",")]
    peers = [p for p in args.peers.split(",") if p]
    runs: dict[tuple[str, str, int], list[dict]] = {}
    sides = [SagecraftSide(peers_dir)]
    try:
        if args.baseline_src:
            sides.append(SagecraftSide(peers_dir, "sagecraft-baseline", args.baseline_src))
        for rep in range(args.reps):
            for side, conc in itertools.product(sides, concs):
                result = side.load(conc, args.duration)
                runs.setdefault((side.name, "csv", conc), []).append(dict(
                    rps=result["rps"], p50_ms=result["p50_us"] / 1e3, p99_ms=result["p99_us"] / 1e3,
                    errors=sum(result[k] for k in ("err_connect", "err_read", "err_write", "err_status",
                                                   "err_timeout"))))
                emit(bench="serve_rep", server=side.name, rep=rep, conc=conc, rps=result["rps"])
            for peer in peers:
                python, why = venv(PEER_VENV[peer])
                if python is None:
                    emit(bench="serve_peer_missing", server=peer, reason=why)
                    continue
                prepare_peers(peers_dir)
                for line in run_peer(serve_python, peers_dir, peer, args):
                    if line.get("bench") == "serve_load":
                        runs.setdefault((peer, line["fmt"], line["conc"]), []).append(dict(
                            rps=line["rps_median"], p50_ms=line["p50_ms_median"], p99_ms=line["p99_ms_median"],
                            errors=line["errors"]))
                        emit(bench="serve_rep", server=peer, rep=rep, conc=line["conc"], rps=line["rps_median"])
    finally:
        for side in sides:
            side.close()
    loads = [summary(server, fmt, conc, args.duration, reps) for (server, fmt, conc), reps in runs.items()]
    for load in loads:
        emit(**load)
    print()
    print(table(loads))
    shutil.rmtree(peers_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
