"""Peer side of bench/featurestore.py, run in bench/.venv-feast: a Feast repo over the same generated
data (feast_common.py), materialized into its SQLite online store, with the feature_store.yaml that
``feast serve`` reads. Prints the repo's path."""

from __future__ import annotations

import os
import sys

import pandas as pd

sys.path.insert(0, "/work/shared/reference/peers")
from feast_common import BASE, make_feature_df, make_store, write_parquet

YAML = """project: bench
provider: local
registry: {repo}/registry.db
offline_store:
  type: duckdb
online_store:
  type: sqlite
  path: {repo}/online.db
entity_key_serialization_version: 3
"""


def main() -> None:
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "features.parquet")
    write_parquet(make_feature_df(), path)
    repo = os.path.join(work, "repo")
    store = make_store(repo, "duckdb", path)
    store.materialize(
        start_date=(BASE - pd.Timedelta(days=1)).to_pydatetime(),
        end_date=(BASE + pd.Timedelta(days=10)).to_pydatetime(),
    )
    with open(os.path.join(repo, "feature_store.yaml"), "w") as out:
        out.write(YAML.format(repo=repo))
    print(repo, flush=True)


if __name__ == "__main__":
    main()
