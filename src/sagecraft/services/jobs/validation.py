"""What CreateTrainingJob and CreateProcessingJob refuse before anything is stored or run.

botocore's model already checked types, lengths, enums and patterns; these are SageMaker's own
rules (unique channel names, LocalPath under /opt/ml/processing, buckets that exist, a role this
account can pass) plus what Sagecraft cannot run (an image no runtime maps, unsupported sources).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from sagecraft.core.errors import ValidationException
from sagecraft.executors import toolkit
from sagecraft.executors.runtimes import Runtime, RuntimeRegistry, processing_argv
from sagecraft.services.jobs.metrics import validate_metric_definitions
from sagecraft.services.jobs.staging import S3Uri

PROCESSING_ROOT = PurePosixPath("/opt/ml/processing")
DEFAULT_CHECKPOINTS = "/opt/ml/checkpoints"
MAX_TAGS = 50

BucketCheck = Callable[[str], bool]  # does this bucket exist?


class RequestRules:
    def __init__(self, runtimes: Callable[[], RuntimeRegistry], bucket_exists: BucketCheck, account_id: str) -> None:
        self.runtimes = runtimes
        self.bucket_exists = bucket_exists
        self.account_id = account_id

    # -- training -------------------------------------------------------------------------------------

    def training(self, request: Mapping[str, Any]) -> Runtime:
        spec = request.get("AlgorithmSpecification")
        if not spec:
            raise ValidationException("AlgorithmSpecification is required to create a training job.")
        if spec.get("AlgorithmName") and not spec.get("TrainingImage"):
            raise ValidationException("Sagecraft runs training images only: AlgorithmName (an algorithm resource or "
                                      "a Marketplace algorithm) is not supported; pass TrainingImage.")
        if not spec.get("TrainingImage"):
            raise ValidationException("AlgorithmSpecification.TrainingImage is required.")
        if not request.get("ResourceConfig") or not request["ResourceConfig"].get("InstanceType"):
            raise ValidationException("ResourceConfig.InstanceType and ResourceConfig.InstanceCount are required.")
        if (request["ResourceConfig"].get("InstanceCount") or 0) < 1:
            raise ValidationException("ResourceConfig.InstanceCount must be at least 1.")
        self.role(request["RoleArn"])
        runtime = self.runtimes().resolve(spec["TrainingImage"])
        hyperparameters = toolkit.decode_hyperparameters(request.get("HyperParameters") or {})
        if not hyperparameters.get("sagemaker_program") and not runtime.algorithm \
                and not spec.get("ContainerEntrypoint"):
            raise ValidationException(
                f"The image {runtime.image_uri!r} runs as a built-in algorithm only with an entry point here: pass "
                "an entry point (the sagemaker_program hyperparameter, e.g. an estimator's entry_point), or add the "
                "algorithm to the `algorithms` table of runtimes.yaml (see docs/runtimes.md).")
        submit = hyperparameters.get("sagemaker_submit_directory")
        if submit and str(submit).startswith("s3://"):
            self.s3_uri(str(submit), "HyperParameters.sagemaker_submit_directory")
        elif submit:
            raise ValidationException(f"HyperParameters.sagemaker_submit_directory {submit!r} must be an s3:// URI.")
        try:
            validate_metric_definitions(spec.get("MetricDefinitions") or [])
        except ValueError as exc:
            raise ValidationException(str(exc)) from None
        self.channels(request.get("InputDataConfig") or [])
        self.s3_uri(request["OutputDataConfig"]["S3OutputPath"], "OutputDataConfig.S3OutputPath")
        checkpoints = request.get("CheckpointConfig")
        if checkpoints:
            self.s3_uri(checkpoints["S3Uri"], "CheckpointConfig.S3Uri")
            self.container_path(checkpoints.get("LocalPath") or DEFAULT_CHECKPOINTS, "CheckpointConfig.LocalPath")
        self.stopping(request)
        self.tags(request.get("Tags") or [])
        return runtime

    def channels(self, channels: Iterable[Mapping[str, Any]]) -> None:
        names: set[str] = set()
        for index, channel in enumerate(channels, 1):
            name = channel["ChannelName"]
            if name in names:
                raise ValidationException(f"Channel names must be unique: {name!r} is given more than once.")
            names.add(name)
            source = channel.get("DataSource") or {}
            s3 = source.get("S3DataSource")
            if not s3:
                raise ValidationException(f"InputDataConfig.{index}: Sagecraft reads channels from S3DataSource only "
                                          "(FileSystemDataSource is not supported).")
            if s3["S3DataType"] not in ("S3Prefix", "ManifestFile"):
                raise ValidationException(f"InputDataConfig.{index}: S3DataType {s3['S3DataType']} is not supported "
                                          "by Sagecraft (use S3Prefix or ManifestFile).")
            self.s3_uri(s3["S3Uri"], f"InputDataConfig.{index}.DataSource.S3DataSource.S3Uri")

    def stopping(self, request: Mapping[str, Any]) -> None:
        condition = request.get("StoppingCondition") or {}
        runtime, wait = condition.get("MaxRuntimeInSeconds"), condition.get("MaxWaitTimeInSeconds")
        if request.get("EnableManagedSpotTraining"):
            if wait is None:
                raise ValidationException("StoppingCondition.MaxWaitTimeInSeconds is required when "
                                          "EnableManagedSpotTraining is true.")
            if runtime is not None and wait < runtime:
                raise ValidationException("StoppingCondition.MaxWaitTimeInSeconds must be greater than or equal "
                                          "to MaxRuntimeInSeconds.")
        elif wait is not None:
            raise ValidationException("StoppingCondition.MaxWaitTimeInSeconds is valid only when "
                                      "EnableManagedSpotTraining is true.")

    # -- processing -----------------------------------------------------------------------------------

    def processing(self, request: Mapping[str, Any]) -> Runtime:
        app = request["AppSpecification"]
        cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
        if (cluster.get("InstanceCount") or 0) < 1 or not cluster.get("InstanceType"):
            raise ValidationException("ProcessingResources.ClusterConfig needs InstanceType and an InstanceCount "
                                      "of at least 1.")
        self.role(request["RoleArn"])
        runtime = self.runtimes().resolve(app["ImageUri"])
        processing_argv(runtime, app.get("ContainerEntrypoint"), app.get("ContainerArguments"))
        names: set[str] = set()
        paths: set[str] = set()
        for index, item in enumerate(request.get("ProcessingInputs") or [], 1):
            where = f"ProcessingInputs.{index}"
            self.unique(item["InputName"], names, "ProcessingInput names")
            s3 = item.get("S3Input")
            if not s3:
                raise ValidationException(f"{where}: Sagecraft reads processing inputs from S3Input only "
                                          "(DatasetDefinition is not supported).")
            local = self.processing_path(s3.get("LocalPath"), f"{where}.S3Input.LocalPath")
            self.unique(local, paths, "ProcessingInput LocalPath values")
            self.s3_uri(s3["S3Uri"], f"{where}.S3Input.S3Uri")
        outputs = (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        names = set()
        for index, item in enumerate(outputs, 1):
            where = f"ProcessingOutputConfig.Outputs.{index}"
            self.unique(item["OutputName"], names, "ProcessingOutput names")
            s3 = item.get("S3Output")
            if not s3:
                raise ValidationException(f"{where}: Sagecraft writes processing outputs to S3Output only "
                                          "(FeatureStoreOutput is not supported).")
            self.processing_path(s3.get("LocalPath"), f"{where}.S3Output.LocalPath")
            self.s3_uri(s3["S3Uri"], f"{where}.S3Output.S3Uri")
        self.tags(request.get("Tags") or [])
        return runtime

    # -- shared ---------------------------------------------------------------------------------------

    def s3_uri(self, uri: str, where: str) -> S3Uri:
        if not uri.startswith("s3://"):
            raise ValidationException(f"{where}: {uri!r} is not an s3:// URI.")
        try:
            parsed = S3Uri.parse(uri)
        except ValueError as exc:
            raise ValidationException(f"{where}: {exc}.") from None
        if not self.bucket_exists(parsed.bucket):
            raise ValidationException(f"{where}: the bucket {parsed.bucket!r} of {uri} does not exist.")
        return parsed

    def role(self, role_arn: str) -> None:
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise ValidationException(f"RoleArn {role_arn!r} is not an IAM role ARN.")
        if parts[4] != self.account_id:
            raise ValidationException(
                f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
                f"'sagemaker.amazonaws.com' to assume the role (this server's account is {self.account_id}).")

    @staticmethod
    def processing_path(path: str | None, where: str) -> str:
        if not path:
            raise ValidationException(f"{where} is required.")
        pure = PurePosixPath(path)
        if not pure.is_absolute() or ".." in pure.parts or PROCESSING_ROOT not in pure.parents:
            raise ValidationException(f"{where} {path!r} is invalid: it must be an absolute path under "
                                      f"{PROCESSING_ROOT}/.")
        return str(pure)

    @staticmethod
    def container_path(path: str, where: str) -> None:
        try:
            toolkit.host_path(PurePosixPath("/"), path)  # type: ignore[arg-type]
        except ValueError:
            raise ValidationException(f"{where} {path!r} must be an absolute path under /opt/ml.") from None

    @staticmethod
    def unique(value: str, seen: set[str], what: str) -> None:
        if value in seen:
            raise ValidationException(f"{what} must be unique: {value!r} is given more than once.")
        seen.add(value)

    @staticmethod
    def tags(tags: list[Mapping[str, str]]) -> None:
        check_tags(tags)


def check_tags(tags: list[Mapping[str, str]], existing: Iterable[str] = ()) -> None:
    keys = {t["Key"] for t in tags} | set(existing)
    if len(keys) > MAX_TAGS:
        raise ValidationException(f"A resource can have at most {MAX_TAGS} tags.")
    for tag in tags:
        if tag["Key"].lower().startswith("aws:"):
            raise ValidationException(f"Tag keys starting with 'aws:' are reserved: {tag['Key']!r}.")
