"""The quickstart pipeline's definition, built with ``sagemaker.workflow`` as a user writes it:
Preprocess (ProcessingStep) → Tune (TuningStep, HyperparameterTuner over the seed's XGBoost script
mode, objective validation:auc) → Evaluate (ProcessingStep; evaluation.json is a PropertyFile) →
CheckAuc (ConditionStep, JsonGet ≥ ParameterFloat) → RegisterModel (ModelStep) else a FailStep."""

from __future__ import annotations

from sagecraft.quickstart.context import PREFIX, PREPROCESSING_SCRIPT, SCRIPTS, TRAINING_SOURCE, QuickstartRun
from sagecraft.quickstart.job_steps import HYPERPARAMETERS

PIPELINE = "quickstart-pipeline"
AUC_THRESHOLD = 0.95
AUC_PATH = "binary_classification_metrics.auc.value"  # in evaluation.json
TRIALS, PARALLEL_TRIALS = 4, 2
XGBOOST_VERSION = "1.3-1"
MODELS_PREFIX = f"{PREFIX}/pipeline-models"  # the trials' output path: where get_top_model_s3_uri looks


def build_pipeline(run: QuickstartRun):
    import sagemaker
    from sagemaker.inputs import TrainingInput
    from sagemaker.model import Model
    from sagemaker.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join, JsonGet
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.pipeline_context import PipelineSession
    from sagemaker.workflow.properties import PropertyFile
    from sagemaker.workflow.steps import ProcessingStep, TuningStep
    from sagemaker.xgboost import XGBoost

    session = PipelineSession(
        boto_session=run.sagemaker.boto_session,
        sagemaker_client=run.sagemaker.sagemaker_client,
        default_bucket=run.bucket,
        sagemaker_config=run.sagemaker.sagemaker_config,
    )
    raw = ParameterString(name="InputData", default_value=run.dataset_uri)
    threshold = ParameterFloat(name="AucThreshold", default_value=AUC_THRESHOLD)
    processor = ScriptProcessor(
        command=["python3"],
        image_uri="python:3.8-slim",
        role=run.role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=session,
    )
    preprocess = ProcessingStep(
        name="Preprocess",
        step_args=processor.run(
            code=str(PREPROCESSING_SCRIPT),
            inputs=[ProcessingInput(source=raw, destination="/opt/ml/processing/input")],
            outputs=[ProcessingOutput(output_name="processed-data", source="/opt/ml/processing/output")],
        ),
    )
    processed = preprocess.properties.ProcessingOutputConfig.Outputs["processed-data"].S3Output.S3Uri

    def split(name: str):
        return Join(on="/", values=[processed, name])

    models = f"s3://{run.bucket}/{MODELS_PREFIX}"
    xgb = XGBoost(
        entry_point="train.py",
        source_dir=str(TRAINING_SOURCE),
        role=run.role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        framework_version=XGBOOST_VERSION,
        output_path=models,
        hyperparameters={**HYPERPARAMETERS, "num_round": 50},
        sagemaker_session=session,
    )
    tuner = HyperparameterTuner(
        xgb,
        objective_metric_name="validation:auc",
        strategy="Random",
        random_seed=42,
        hyperparameter_ranges={"max_depth": IntegerParameter(2, 6), "eta": ContinuousParameter(0.05, 0.5)},
        metric_definitions=[{"Name": "validation:auc", "Regex": r"validation-auc:([0-9.]+)"}],
        max_jobs=TRIALS,
        max_parallel_jobs=PARALLEL_TRIALS,
    )
    tune = TuningStep(
        name="Tune",
        step_args=tuner.fit(
            inputs={
                "train": TrainingInput(split("train"), content_type="text/csv"),
                "validation": TrainingInput(split("validation"), content_type="text/csv"),
            }
        ),
    )
    best_model = tune.get_top_model_s3_uri(top_k=0, s3_bucket=run.bucket, prefix=MODELS_PREFIX)

    report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    evaluate = ProcessingStep(
        name="Evaluate",
        property_files=[report],
        step_args=processor.run(
            code=str(SCRIPTS / "evaluate.py"),
            inputs=[
                ProcessingInput(source=best_model, destination="/opt/ml/processing/model"),
                ProcessingInput(source=split("test"), destination="/opt/ml/processing/test"),
            ],
            outputs=[ProcessingOutput(output_name="evaluation", source="/opt/ml/processing/evaluation")],
        ),
    )
    evaluation_uri = Join(
        on="/",
        values=[evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri, "evaluation.json"],
    )

    image = sagemaker.image_uris.retrieve("xgboost", run.sagemaker.boto_region_name, XGBOOST_VERSION)
    model = Model(image_uri=image, model_data=best_model, role=run.role, sagemaker_session=session)
    register = ModelStep(
        name="RegisterModel",
        step_args=model.register(
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=["ml.m5.large"],
            transform_instances=["ml.m5.large"],
            model_package_group_name=run.model_package_group,
            approval_status="PendingManualApproval",
            model_metrics=ModelMetrics(
                model_statistics=MetricsSource(s3_uri=evaluation_uri, content_type="application/json")
            ),
        ),
    )
    fail = FailStep(
        name="AucBelowThreshold",
        error_message=Join(on=" ", values=["the best model's held-out AUC is below", threshold]),
    )
    check = ConditionStep(
        name="CheckAuc",
        conditions=[
            ConditionGreaterThanOrEqualTo(
                left=JsonGet(step_name=evaluate.name, property_file=report, json_path=AUC_PATH), right=threshold
            )
        ],
        if_steps=[register],
        else_steps=[fail],
    )
    return Pipeline(
        name=PIPELINE, parameters=[raw, threshold], steps=[preprocess, tune, evaluate, check], sagemaker_session=session
    )
