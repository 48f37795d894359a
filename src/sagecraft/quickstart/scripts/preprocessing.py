"""The quickstart's processing job (the seed's ``ScriptProcessor`` pattern): split the raw data
into train / validation / test, fit the scaler on the training rows only, and write each split
as the built-in algorithms read CSV — label first, no header.

Runs as ``python3 preprocessing.py`` with the raw CSV (a ``target`` column) under
/opt/ml/processing/input; writes /opt/ml/processing/output/{train,validation,test}/<split>.csv
and scaler/scaler.json (what inference needs to transform new rows the same way)."""

import glob
import json
import os

import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

INPUT = "/opt/ml/processing/input"
OUTPUT = "/opt/ml/processing/output"
LABEL = "target"
SEED = 42

paths = sorted(glob.glob(os.path.join(INPUT, "**", "*.csv"), recursive=True))
if not paths:
    raise SystemExit(f"no CSV file under {INPUT}")
frame = pd.concat([pd.read_csv(path) for path in paths], ignore_index=True)
if LABEL not in frame.columns:
    raise SystemExit(f"the raw data has no '{LABEL}' column: {list(frame.columns)}")
features = [column for column in frame.columns if column != LABEL]
missing = int(frame[features].isna().sum().sum())
frame[features] = frame[features].fillna(frame[features].median())  # none in the bundled data; kept simple
print(f"read {len(frame)} rows, {len(features)} features from {len(paths)} file(s); {missing} missing values")

# 20 % held out for the final test, then 25 % of the rest (20 % of all) for validation.
rest, test = train_test_split(frame, test_size=0.2, random_state=SEED, stratify=frame[LABEL])
train, validation = train_test_split(rest, test_size=0.25, random_state=SEED, stratify=rest[LABEL])

# Fitted on the training rows only: validation and test statistics must not leak into training.
scaler = StandardScaler().fit(train[features])
for name, part in (("train", train), ("validation", validation), ("test", test)):
    scaled = pd.DataFrame(scaler.transform(part[features]), columns=features, index=part.index)
    scaled.insert(0, LABEL, part[LABEL].astype(int))
    os.makedirs(os.path.join(OUTPUT, name), exist_ok=True)
    scaled.to_csv(os.path.join(OUTPUT, name, f"{name}.csv"), header=False, index=False)
    print(f"{name}: {len(part)} rows, {int(part[LABEL].sum())} positive")

os.makedirs(os.path.join(OUTPUT, "scaler"), exist_ok=True)
with open(os.path.join(OUTPUT, "scaler", "scaler.json"), "w") as file:
    json.dump({"features": features, "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}, file)
print("scaler fitted on the training split only; parameters in scaler/scaler.json")
