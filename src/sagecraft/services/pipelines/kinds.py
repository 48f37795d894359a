"""The step types the engine runs, and for each the SageMaker operations behind it.

A job step's Arguments are the request of its Create* operation without the name, which the engine
generates; Describe* follows the job, and its output is the step's properties (what later steps'
``Steps.<name>.<path>`` references read). Model and RegisterModel steps finish with their call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepKind:
    step_type: str
    create: str  # operation name
    describe: str
    name_field: str  # the request member carrying the generated name
    name_limit: int
    describe_key: str  # the Describe* request member naming the resource
    arn_field: str  # the Create* response member with the resource's ARN
    metadata_key: str  # PipelineExecutionStepMetadata member
    status_field: str | None  # None: done when Create* returns
    stop: str | None = None
    uses_arn: bool = False  # Describe* is keyed by the ARN (model packages have no name)
    arn_member: str = "Arn"  # the member of the step's Metadata entry holding the ARN


JOB_DONE = {"Completed": "Succeeded", "Failed": "Failed", "Stopped": "Stopped"}

KINDS = {
    k.step_type: k
    for k in (
        StepKind(
            "Processing",
            "CreateProcessingJob",
            "DescribeProcessingJob",
            "ProcessingJobName",
            63,
            "ProcessingJobName",
            "ProcessingJobArn",
            "ProcessingJob",
            "ProcessingJobStatus",
            "StopProcessingJob",
        ),
        StepKind(
            "Training",
            "CreateTrainingJob",
            "DescribeTrainingJob",
            "TrainingJobName",
            63,
            "TrainingJobName",
            "TrainingJobArn",
            "TrainingJob",
            "TrainingJobStatus",
            "StopTrainingJob",
        ),
        StepKind(
            "Tuning",
            "CreateHyperParameterTuningJob",
            "DescribeHyperParameterTuningJob",
            "HyperParameterTuningJobName",
            32,
            "HyperParameterTuningJobName",
            "HyperParameterTuningJobArn",
            "TuningJob",
            "HyperParameterTuningJobStatus",
            "StopHyperParameterTuningJob",
        ),
        StepKind(
            "Transform",
            "CreateTransformJob",
            "DescribeTransformJob",
            "TransformJobName",
            63,
            "TransformJobName",
            "TransformJobArn",
            "TransformJob",
            "TransformJobStatus",
            "StopTransformJob",
        ),
        # A QualityCheck step's Arguments are the analyzer's processing job (see quality.py).
        StepKind(
            "QualityCheck",
            "CreateProcessingJob",
            "DescribeProcessingJob",
            "ProcessingJobName",
            63,
            "ProcessingJobName",
            "ProcessingJobArn",
            "QualityCheck",
            "ProcessingJobStatus",
            "StopProcessingJob",
            arn_member="CheckJobArn",
        ),
        # A ClarifyCheck step's Arguments are the Clarify analyzer's processing job (see clarify.py).
        StepKind(
            "ClarifyCheck",
            "CreateProcessingJob",
            "DescribeProcessingJob",
            "ProcessingJobName",
            63,
            "ProcessingJobName",
            "ProcessingJobArn",
            "ClarifyCheck",
            "ProcessingJobStatus",
            "StopProcessingJob",
            arn_member="CheckJobArn",
        ),
        StepKind("Model", "CreateModel", "DescribeModel", "ModelName", 63, "ModelName", "ModelArn", "Model", None),
        StepKind(
            "RegisterModel",
            "CreateModelPackage",
            "DescribeModelPackage",
            "",
            0,
            "ModelPackageName",
            "ModelPackageArn",
            "RegisterModel",
            None,
            uses_arn=True,
        ),
    )
}
KINDS["CreateModel"] = KINDS["Model"]  # the legacy CreateModelStep's type

# Steps the engine evaluates itself.
INTERNAL = ("Condition", "Fail", "Callback")

# Types the SDK can emit that Sagecraft does not run (yet).
UNSUPPORTED = (
    "EMR",
    "EMRServerless",
    "Lambda",
    "AutoML",
    "Notebook",
    "Transform-Batch",
    "Emr",
    "Athena",
    "ForEach",
)

# Extra properties a job step exposes beyond its Describe* output.
EXTRA_PROPERTIES = {"Processing": ("PropertyFiles",), "Tuning": ("TrainingJobSummaries",)}
