"""What the quickstart's steps share: the bundled files, and the state one run builds up."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagecraft.quickstart.steps import Detail

HERE = Path(__file__).parent
DATASET = HERE / "data" / "breast_cancer.csv"
PREPROCESSING_SCRIPT = HERE / "scripts" / "preprocessing.py"
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
    training_job: str = ""
    model_uri: str = ""
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # split → metric → value
    facts: dict[str, str] = field(default_factory=dict)  # what the summary shows, in order
