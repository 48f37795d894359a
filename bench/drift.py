"""Benchmark: Model Monitor's baseline + drift check against Evidently's DataDriftPreset and a numpy
KS floor, on the same data, in one run (the peers' own scripts, /work/shared/reference/peers).

    .venv/bin/python bench/drift.py [--reps 3] [--skip-evidently] [--scale-rows 10000000]

Data: drift_common.make(), 100,000 x 20 numeric columns, reference vs current, c00..c04 shifted
(mean +0.5 sd, mean +0.1 sd, sd x1.5, 10 % contamination, lognormal sigma 1.0 -> 1.1).

Ours: the analyzer's own code in-process (executors/algorithms/model_monitor): profile the reference
into statistics.json (KLL sketches), suggest constraints.json, profile the current data and run
baseline_drift_check, both through JSON as the analyzer writes and reads them. Timed: everything
from the two pyarrow tables to the violations. Rows: SageMaker's default (Robust, threshold 0.1)
and Robust with comparison_threshold 0.01 (drift when the KS distance is significant at 99 % and
above 0.01). Evidently runs in its own venv (bench/.venv-evid, created on first use). The memory
rows run the profiler alone in a fresh process over N rows fed in 1,000,000-row chunks and report
its peak RSS (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))
PEERS = Path(os.environ.get("SAGECRAFT_PEERS", "/work/shared/reference/peers"))
sys.path.insert(0, str(PEERS))

from peers import PEER_PACKAGES, peer_venv  # noqa: E402

PEER_PACKAGES.setdefault("evid", ["evidently==0.7.23", "pyarrow", "pandas<3"])


def emit(**values: object) -> None:
    print(json.dumps(values, default=str), flush=True)


def ours(reference, current, threshold: float | None) -> tuple[list[str], dict[str, float]]:
    from sagecraft.executors.algorithms.model_monitor import checks, constraints
    from sagecraft.executors.algorithms.model_monitor.profile import Profiler

    baseline = Profiler()
    baseline.add(reference)
    statistics_json = json.dumps(baseline.statistics())
    suggested = constraints.suggest(json.loads(statistics_json))
    if threshold is not None:
        suggested["monitoring_config"]["distribution_constraints"]["comparison_threshold"] = threshold
    constraints_json = json.dumps(suggested)
    stats, rules = json.loads(statistics_json), json.loads(constraints_json)
    profiler = Profiler({f["name"]: f["inferred_type"] for f in rules["features"]})
    profiler.add(current)
    json.dumps(profiler.statistics())
    result = checks.evaluate(profiler.features, profiler.item_count, rules, stats)
    found = sorted({v["feature_name"] for v in result.violations if v["constraint_check_type"] ==
                    "baseline_drift_check"})
    return found, result.drift


def run_ours(reps: int) -> None:
    import pyarrow as pa
    from drift_common import make, score

    names, reference, current = make()
    tables = [pa.table({n: reference[:, i] for i, n in enumerate(names)}),
              pa.table({n: current[:, i] for i, n in enumerate(names)})]
    for label, threshold in (("Robust, comparison_threshold 0.1 (SageMaker's default)", None),
                             ("Robust, comparison_threshold 0.01", 0.01)):
        times, found, drift = [], [], {}
        for rep in range(reps + 1):
            started = time.perf_counter()
            found, drift = ours(tables[0], tables[1], threshold)
            if rep:
                times.append(time.perf_counter() - started)
        emit(bench="drift", impl=f"sagecraft analyzer ({label})", median_s=round(statistics.median(times), 3),
             times_s=[round(t, 3) for t in times], **score(found),
             distances={k: round(v, 4) for k, v in sorted(drift.items())})


def run_peer(python: Path, mode: str, reps: int) -> list[dict]:
    scratch = Path(tempfile.mkdtemp(prefix="drift-peers-"))
    (scratch / "logs").mkdir()
    done = subprocess.run([str(python), str(PEERS / "drift_bench.py"), mode, "--reps", str(reps)],
                          capture_output=True, text=True, env={**os.environ, "PEERS_DIR": str(scratch)}, check=False)
    if done.returncode:
        emit(bench="drift", impl=mode, error=done.stderr[-2000:])
        return []
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for row in rows:
        if row.get("bench") == "drift":
            print(json.dumps(row), flush=True)
    return rows


def memory(rows: int) -> None:
    """Child process: profile ``rows`` reference rows in 1M-row chunks; peak RSS."""
    import numpy as np
    import pyarrow as pa

    from sagecraft.executors.algorithms.model_monitor.profile import Profiler

    rng = np.random.default_rng(1)
    profiler = Profiler()
    started = time.perf_counter()
    for start in range(0, rows, 1_000_000):
        count = min(1_000_000, rows - start)
        profiler.add(pa.table({f"c{j:02d}": rng.normal(0, 1, count) for j in range(20)}))
    document = json.dumps(profiler.statistics())
    emit(bench="drift_memory", rows=rows, columns=20, seconds=round(time.perf_counter() - started, 2),
         peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
         statistics_json_kb=round(len(document) / 1024, 1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--scale-rows", type=int, default=10_000_000)
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory(args.memory_child)
        return
    emit(bench="drift_setup", cpus=os.cpu_count(), python=sys.version.split()[0])
    run_ours(args.reps)
    run_peer(Path(sys.executable), "numpy", args.reps)
    if not args.skip_evidently:
        run_peer(peer_venv("evid") / "bin" / "python", "evidently", args.reps)
    for rows in sorted({1_000_000, args.scale_rows}):
        subprocess.run([sys.executable, __file__, "--memory-child", str(rows)], check=True)


if __name__ == "__main__":
    main()
