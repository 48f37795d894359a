"""What the quickstart's steps share: the bundled files, and the state one run builds up."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagecraft.quickstart.steps import Detail

HERE = Path(__file__).parent
DATASET = HERE / "data" / "breast_cancer.csv"
SCRIPTS = HERE / "scripts"
PREPROCESSING_SCRIPT = SCRIPTS / "preprocessing.py"
TRAINING_SOURCE = HERE / "scripts" / "training"  # source_dir: train.py and nothing else
PREFIX = "quickstart"
SPLITS = ("train", "validation", "test")


@dataclass
class QuickstartRun:
    home: Path
    stack: ExitStack
    detail: Detail = field(default_factory=Detail)  # the running step's live line
    endpoint_url: str = ""
    embedded: bool = False
    boto: Any = None  # boto3.Session reaching the server
    sagemaker: Any = None  # sagemaker.Session
    role: str = ""
    bucket: str = ""
    dataset_uri: str = ""
    processing_job: str = ""
    split_uris: dict[str, str] = field(default_factory=dict)  # split → S3 prefix written by the processing job
    feature_group: str = ""
    feature_dataset_uri: str = ""  # the training set built back from the offline store
    training_job: str = ""
    model_uri: str = ""
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # split → metric → value
    endpoint_name: str = ""  # the capture-enabled endpoint, kept for the monitor step
    endpoints: list[str] = field(default_factory=list)  # deleted at the end
    pipeline_execution: str = ""
    model_package_group: str = ""
    model_package_arn: str = ""
    best_training_job: str = ""
    best_model_uri: str = ""
    approved_endpoint: str = ""
    approved_model_name: str = ""
    monitoring_schedule: str = ""
    facts: dict[str, str] = field(default_factory=dict)  # what the summary shows, in order
