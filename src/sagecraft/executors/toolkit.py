"""The SageMaker container contract: /opt/ml files and the SM_* environment.

Names and formats follow the sagemaker-training toolkit (``environment.Environment.to_env_vars``
and ``mapping.to_env_vars``: SM_ + upper-cased key; strings as they are, everything else compact
JSON with sorted keys) and the AWS docs for training (/opt/ml/input/config/*.json) and processing
(/opt/ml/config/*.json) containers. Paths here are container paths unless a name says ``host``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sagecraft.executors.base import CONTAINER_ML_ROOT

ML = PurePosixPath(CONTAINER_ML_ROOT)
CODE_DIR = str(ML / "code")
MODEL_DIR = str(ML / "model")
INPUT_DIR = str(ML / "input")
INPUT_CONFIG_DIR = str(ML / "input" / "config")
INPUT_DATA_DIR = str(ML / "input" / "data")
OUTPUT_DIR = str(ML / "output")
OUTPUT_DATA_DIR = str(ML / "output" / "data")
OUTPUT_INTERMEDIATE_DIR = str(ML / "output" / "intermediate")
FAILURE_FILE = str(ML / "output" / "failure")
CHECKPOINTS_DIR = str(ML / "checkpoints")
PROCESSING_CONFIG_DIR = str(ML / "config")
INSTANCE_GROUP = "homogeneousCluster"
NETWORK_INTERFACE = "lo"  # instances rendezvous on loopback (their host names resolve to 127.0.0.1)
LOG_LEVEL_INFO = 20

# sagemaker_training.params.SAGEMAKER_HYPERPARAMETERS: framework settings, not user arguments
SAGEMAKER_HYPERPARAMETERS = frozenset({
    "sagemaker_program", "sagemaker_submit_directory", "sagemaker_enable_cloudwatch_metrics",
    "sagemaker_region", "sagemaker_container_log_level", "sagemaker_job_name", "default_user_module_name",
    "_tuning_objective_metric", "sagemaker_s3_output",
})
DISTRIBUTION_FLAGS = (
    "sagemaker_mpi_enabled", "sagemaker_parameter_server_enabled", "sagemaker_distributed_dataparallel_enabled",
    "sagemaker_pytorch_ddp_enabled", "sagemaker_pytorch_xla_multi_worker_enabled",
    "sagemaker_multi_worker_mirrored_strategy_enabled", "sagemaker_torch_distributed_enabled",
)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "NUMEXPR_MAX_THREADS", "VECLIB_MAXIMUM_THREADS")


def host_path(instance_dir: Path, container_path: str) -> Path:
    """Where a container path under /opt/ml lives on the host; refuses anything outside /opt/ml."""
    path = PurePosixPath(container_path)
    if not path.is_absolute() or ".." in path.parts or not (path == ML or ML in path.parents):
        raise ValueError(f"{container_path!r} is not a path under {CONTAINER_ML_ROOT}")
    return Path(instance_dir, *path.relative_to(ML).parts)


def hosts_for(instance_count: int) -> list[str]:
    return [f"algo-{i}" for i in range(1, instance_count + 1)]


# ---- hyperparameters ------------------------------------------------------------------------------


def decode_hyperparameters(hyperparameters: Mapping[str, str]) -> dict[str, Any]:
    """JSON-decode each value where it parses, keep the string otherwise (the toolkit's read_hyperparameters)."""
    decoded: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        try:
            decoded[key] = json.loads(value)
        except (ValueError, TypeError):
            decoded[key] = value
    return decoded


def split_hyperparameters(decoded: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(sagemaker_* framework parameters, the user's hyperparameters)."""
    framework = {k: v for k, v in decoded.items() if k in SAGEMAKER_HYPERPARAMETERS or k.startswith("sagemaker_")}
    return framework, {k: v for k, v in decoded.items() if k not in framework}


def to_cmd_args(hyperparameters: Mapping[str, Any]) -> list[str]:
    """``--name value`` pairs in key order (``-n`` for one-letter names), as mapping.to_cmd_args."""
    def name(key: str) -> str:
        return f"--{key}" if len(key) > 1 else f"-{key}"

    def value(v: Any) -> str:
        if isinstance(v, Mapping):
            return ",".join(f"{k}={x}" for k, x in sorted(v.items()))
        return "" if v is None else str(v)

    keys = sorted(hyperparameters)
    return list(itertools.chain.from_iterable((name(str(k)), value(hyperparameters[k])) for k in keys))


def module_name(program: str | None) -> str:
    text = str(program)
    return text[:-3] if text.endswith(".py") else text


def _env_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def to_env_vars(mapping: Mapping[str, Any]) -> dict[str, str]:
    return {f"SM_{str(k).upper()}": _env_value(v) for k, v in mapping.items()}


# ---- training ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    name: str
    content_type: str | None = None
    input_mode: str = "File"
    s3_distribution_type: str = "FullyReplicated"
    record_wrapper_type: str = "None"

    @classmethod
    def from_api(cls, channel: Mapping[str, Any], default_input_mode: str = "File") -> Channel:
        """From a CreateTrainingJob InputDataConfig entry."""
        s3 = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        return cls(name=channel["ChannelName"], content_type=channel.get("ContentType"),
                   input_mode=channel.get("InputMode") or default_input_mode,
                   s3_distribution_type=s3.get("S3DataDistributionType") or "FullyReplicated",
                   record_wrapper_type=channel.get("RecordWrapperType") or "None")

    def config(self) -> dict[str, str]:
        entry = {"TrainingInputMode": self.input_mode, "S3DistributionType": self.s3_distribution_type,
                 "RecordWrapperType": self.record_wrapper_type}
        return {"ContentType": self.content_type, **entry} if self.content_type else entry


def input_data_config(channels: Sequence[Channel]) -> dict[str, dict[str, str]]:
    return {c.name: c.config() for c in channels}


def resource_config(current_host: str, hosts: Sequence[str], instance_type: str) -> dict[str, Any]:
    return {
        "current_host": current_host,
        "current_instance_type": instance_type,
        "current_group_name": INSTANCE_GROUP,
        "hosts": list(hosts),
        "instance_groups": [{"instance_group_name": INSTANCE_GROUP, "instance_type": instance_type,
                             "hosts": list(hosts)}],
        "network_interface_name": NETWORK_INTERFACE,
    }


def prepare_training_instance(instance_dir: Path, *, hyperparameters: Mapping[str, str],
                              channels: Sequence[Channel], current_host: str, hosts: Sequence[str],
                              instance_type: str) -> None:
    """Lay out /opt/ml for a training instance and write input/config/*.json (SageMaker's content)."""
    for folder in (CODE_DIR, MODEL_DIR, INPUT_CONFIG_DIR, OUTPUT_DATA_DIR, CHECKPOINTS_DIR,
                   *(f"{INPUT_DATA_DIR}/{c.name}" for c in channels)):
        host_path(instance_dir, folder).mkdir(parents=True, exist_ok=True)
    config = host_path(instance_dir, INPUT_CONFIG_DIR)
    _write_json(config / "hyperparameters.json", dict(hyperparameters))  # the strings exactly as requested
    _write_json(config / "inputdataconfig.json", input_data_config(channels))
    _write_json(config / "resourceconfig.json", resource_config(current_host, hosts, instance_type))


def training_environment(*, job_name: str, hyperparameters: Mapping[str, str], channels: Sequence[Channel],
                         current_host: str, hosts: Sequence[str], instance_type: str, num_cpus: int,
                         num_gpus: int = 0, framework_module: str | None = None,
                         region: str | None = None) -> dict[str, str]:
    """The environment the training toolkit gives the entry point: SM_* plus the variables it exports."""
    framework, user = split_hyperparameters(decode_hyperparameters(hyperparameters))
    resources = resource_config(current_host, hosts, instance_type)
    group = {"instance_group_name": INSTANCE_GROUP, "instance_type": instance_type, "hosts": list(hosts)}
    extra = {k: v for k, v in framework.items() if k not in SAGEMAKER_HYPERPARAMETERS}
    distributed = [INSTANCE_GROUP] if any(extra.get(flag) for flag in DISTRIBUTION_FLAGS) else []
    distribution_groups = extra.get("sagemaker_distribution_instance_groups", distributed)
    distribution_hosts = list(hosts) if INSTANCE_GROUP in distribution_groups else []
    master = distribution_hosts[0] if distribution_hosts else hosts[0]
    program = framework.get("sagemaker_program")
    channel_dirs = {c.name: f"{INPUT_DATA_DIR}/{c.name}" for c in channels}
    data_config = input_data_config(channels)
    log_level = framework.get("sagemaker_container_log_level", LOG_LEVEL_INFO)
    module_dir = str(framework.get("sagemaker_submit_directory", CODE_DIR))
    training_env = {  # Environment's properties, as dict(Environment()) lists them
        "additional_framework_parameters": extra, "channel_input_dirs": channel_dirs,
        "current_host": current_host, "current_instance_group": INSTANCE_GROUP,
        "current_instance_group_hosts": list(hosts), "current_instance_type": instance_type,
        "distribution_hosts": distribution_hosts, "distribution_instance_groups": distribution_groups,
        "framework_module": framework_module, "hosts": list(hosts), "hyperparameters": user,
        "input_config_dir": INPUT_CONFIG_DIR, "input_data_config": data_config, "input_dir": INPUT_DIR,
        "instance_groups": [INSTANCE_GROUP], "instance_groups_dict": {INSTANCE_GROUP: group},
        "is_hetero": False, "is_master": current_host == master, "is_modelparallel_enabled": None,
        "is_smddpmprun_installed": False, "is_smddprun_installed": False, "job_name": job_name,
        "log_level": log_level, "master_hostname": master, "model_dir": MODEL_DIR, "module_dir": module_dir,
        "module_name": module_name(program), "network_interface_name": NETWORK_INTERFACE,
        "num_cpus": num_cpus, "num_gpus": num_gpus, "num_neurons": 0, "output_data_dir": OUTPUT_DATA_DIR,
        "output_dir": OUTPUT_DIR, "output_intermediate_dir": OUTPUT_INTERMEDIATE_DIR,
        "resource_config": resources, "topology": [], "user_entry_point": program,
    }
    env = {
        "hosts": list(hosts), "network_interface_name": NETWORK_INTERFACE, "hps": user,
        "user_entry_point": program, "framework_params": extra, "resource_config": resources,
        "input_data_config": data_config, "output_data_dir": OUTPUT_DATA_DIR, "channels": sorted(channel_dirs),
        "current_host": current_host, "current_instance_type": instance_type,
        "current_instance_group": INSTANCE_GROUP, "current_instance_group_hosts": list(hosts),
        "instance_groups": [INSTANCE_GROUP], "instance_groups_dict": {INSTANCE_GROUP: group},
        "distribution_instance_groups": distribution_groups, "is_hetero": False,
        "module_name": module_name(program), "log_level": log_level, "framework_module": framework_module,
        "input_dir": INPUT_DIR, "input_config_dir": INPUT_CONFIG_DIR, "output_dir": OUTPUT_DIR,
        "num_cpus": num_cpus, "num_gpus": num_gpus, "num_neurons": 0, "model_dir": MODEL_DIR,
        "module_dir": module_dir, "training_env": training_env, "user_args": to_cmd_args(user),
        "output_intermediate_dir": OUTPUT_INTERMEDIATE_DIR,
        **{f"channel_{name}": path for name, path in channel_dirs.items()},
        **{f"hp_{key}": value for key, value in user.items()},
    }
    region = framework.get("sagemaker_region") or region or ""
    return {
        **to_env_vars(env),
        # what the platform and the toolkit export before starting the entry point
        "TRAINING_JOB_NAME": job_name, "CURRENT_HOST": current_host,
        "SAGEMAKER_JOB_NAME": str(framework.get("sagemaker_job_name", "")), "SAGEMAKER_REGION": str(region),
        "PYTHONPATH": CODE_DIR,
    }


# ---- processing -------------------------------------------------------------------------------------


def prepare_processing_instance(instance_dir: Path, *, job: Mapping[str, Any], current_host: str,
                                hosts: Sequence[str]) -> None:
    """Write /opt/ml/config/processingjobconfig.json (the job's description) and resourceconfig.json,
    and create each input's and output's LocalPath."""
    config = host_path(instance_dir, PROCESSING_CONFIG_DIR)
    config.mkdir(parents=True, exist_ok=True)
    _write_json(config / "processingjobconfig.json", dict(job))
    _write_json(config / "resourceconfig.json", {"current_host": current_host, "hosts": list(hosts)})
    paths = [(i.get("S3Input") or i.get("DatasetDefinition") or {}).get("LocalPath")
             for i in job.get("ProcessingInputs") or []]
    paths += [(o.get("S3Output") or {}).get("LocalPath")
              for o in (job.get("ProcessingOutputConfig") or {}).get("Outputs") or []]
    for path in filter(None, paths):
        host_path(instance_dir, path).mkdir(parents=True, exist_ok=True)


def thread_environment(cpus: int) -> dict[str, str]:
    """Thread counts of the numeric libraries, from the CPUs the job is told it has."""
    return dict.fromkeys(THREAD_VARIABLES, str(cpus))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data))
