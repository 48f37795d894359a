"""SageMaker Pipelines on the wire (the ``sagemaker`` control plane, JSON 1.1)."""

from __future__ import annotations

import json
from typing import Any

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.services.pipelines.models import Execution, Pipeline, StepRun
from sagecraft.services.pipelines.service import PipelinesService, page


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class PipelinesProvider:
    service_name = "sagemaker"
    operations = frozenset(
        {
            "CreatePipeline",
            "UpdatePipeline",
            "DescribePipeline",
            "DeletePipeline",
            "ListPipelines",
            "StartPipelineExecution",
            "DescribePipelineExecution",
            "ListPipelineExecutions",
            "ListPipelineExecutionSteps",
            "StopPipelineExecution",
            "RetryPipelineExecution",
            "DescribePipelineDefinitionForExecution",
            "ListPipelineParametersForExecution",
            "SendPipelineExecutionStepSuccess",
            "SendPipelineExecutionStepFailure",
            "UpdatePipelineExecution",
        }
    )
    threaded_operations = operations | {"AddTags", "ListTags", "DeleteTags"}  # all touch the metadata store
    tagged_resource_types = frozenset({"pipeline"})  # server/sagemaker.py routes pipeline ARNs' tags here

    def __init__(self, service: PipelinesService) -> None:
        self.service = service

    # -- pipelines ------------------------------------------------------------------------------------

    def create_pipeline(self, context: RequestContext, params: dict) -> dict:
        return {"PipelineArn": self.service.create(context.account_id, context.region, params).arn}

    def update_pipeline(self, context: RequestContext, params: dict) -> dict:
        return {"PipelineArn": self.service.update(context.account_id, context.region, params).arn}

    def describe_pipeline(self, context: RequestContext, params: dict) -> dict:
        pipeline = self.service.get(context.account_id, context.region, params["PipelineName"])
        return _drop_none(
            {
                "PipelineArn": pipeline.arn,
                "PipelineName": pipeline.name,
                "PipelineDisplayName": pipeline.display_name,
                "PipelineDefinition": pipeline.definition,
                "PipelineDescription": pipeline.description,
                "RoleArn": pipeline.role_arn,
                "PipelineStatus": "Active",
                "CreationTime": pipeline.created_at,
                "LastModifiedTime": pipeline.last_modified,
                "LastRunTime": pipeline.last_run_at,
                "ParallelismConfiguration": pipeline.parallelism,
            }
        )

    def delete_pipeline(self, context: RequestContext, params: dict) -> dict:
        return {"PipelineArn": self.service.delete(context.account_id, context.region, params["PipelineName"]).arn}

    def list_pipelines(self, context: RequestContext, params: dict) -> dict:
        found, token = self.service.list(context.account_id, context.region, params)
        return _drop_none({"PipelineSummaries": [_pipeline_summary(p) for p in found], "NextToken": token})

    # -- executions -------------------------------------------------------------------------------------

    def start_pipeline_execution(self, context: RequestContext, params: dict) -> dict:
        return {"PipelineExecutionArn": self.service.start(context.account_id, context.region, params).arn}

    def describe_pipeline_execution(self, context: RequestContext, params: dict) -> dict:
        execution = self.service.execution(params["PipelineExecutionArn"])
        return _drop_none(
            {
                "PipelineArn": execution.pipeline_arn,
                "PipelineExecutionArn": execution.arn,
                "PipelineExecutionDisplayName": execution.display_name,
                "PipelineExecutionStatus": execution.status.value,
                "PipelineExecutionDescription": execution.description,
                "PipelineExperimentConfig": {
                    "ExperimentName": execution.pipeline_name,
                    "TrialName": execution.execution_id,
                },
                "FailureReason": execution.failure_reason,
                "CreationTime": execution.created_at,
                "LastModifiedTime": execution.last_modified,
                "ParallelismConfiguration": execution.parallelism,
                "SelectiveExecutionConfig": execution.state.get("selective"),
            }
        )

    def list_pipeline_executions(self, context: RequestContext, params: dict) -> dict:
        found, token = self.service.executions(context.account_id, context.region, params)
        return _drop_none({"PipelineExecutionSummaries": [_execution_summary(e) for e in found], "NextToken": token})

    def list_pipeline_execution_steps(self, context: RequestContext, params: dict) -> dict:
        arn = params["PipelineExecutionArn"]
        runs = sorted(
            self.service.steps(arn),
            key=lambda r: (r.started_at, r.id),
            reverse=(params.get("SortOrder") or "Descending") == "Descending",
        )
        found, token = page([_step(r) for r in runs], params, f"steps:{arn}")
        return _drop_none({"PipelineExecutionSteps": found, "NextToken": token})

    def stop_pipeline_execution(self, context: RequestContext, params: dict) -> dict:
        return {"PipelineExecutionArn": self.service.stop(params["PipelineExecutionArn"]).arn}

    def retry_pipeline_execution(self, context: RequestContext, params: dict) -> dict:
        execution = self.service.retry(params["PipelineExecutionArn"], params.get("ParallelismConfiguration"))
        return {"PipelineExecutionArn": execution.arn}

    def update_pipeline_execution(self, context: RequestContext, params: dict) -> dict:
        execution = self.service.execution(params["PipelineExecutionArn"])
        raise ValidationException(f"UpdatePipelineExecution is not supported by Sagecraft yet ({execution.arn}).")

    def describe_pipeline_definition_for_execution(self, context: RequestContext, params: dict) -> dict:
        execution = self.service.execution(params["PipelineExecutionArn"])
        return {"PipelineDefinition": execution.definition, "CreationTime": execution.created_at}

    def list_pipeline_parameters_for_execution(self, context: RequestContext, params: dict) -> dict:
        execution = self.service.execution(params["PipelineExecutionArn"])
        found, token = page(execution.parameters, params, f"parameters:{execution.arn}")
        return _drop_none({"PipelineParameters": found, "NextToken": token})

    def send_pipeline_execution_step_success(self, context: RequestContext, params: dict) -> dict:
        arn = self.service.send_callback(params["CallbackToken"], params.get("OutputParameters"), None)
        return {"PipelineExecutionArn": arn}

    def send_pipeline_execution_step_failure(self, context: RequestContext, params: dict) -> dict:
        reason = params.get("FailureReason") or "The callback reported a failure."
        return {"PipelineExecutionArn": self.service.send_callback(params["CallbackToken"], None, reason)}

    # -- tags on pipeline ARNs -------------------------------------------------------------------------

    def add_tags(self, context: RequestContext, params: dict) -> dict:
        return {"Tags": self.service.add_tags(params["ResourceArn"], params["Tags"])}

    def list_tags(self, context: RequestContext, params: dict) -> dict:
        tags = self.service.by_arn(params["ResourceArn"]).tags
        found, token = page(tags, params, f"tags:{params['ResourceArn']}")
        return _drop_none({"Tags": found, "NextToken": token})

    def delete_tags(self, context: RequestContext, params: dict) -> dict:
        self.service.delete_tags(params["ResourceArn"], params["TagKeys"])
        return {}


def _pipeline_summary(pipeline: Pipeline) -> dict[str, Any]:
    return _drop_none(
        {
            "PipelineArn": pipeline.arn,
            "PipelineName": pipeline.name,
            "PipelineDisplayName": pipeline.display_name,
            "PipelineDescription": pipeline.description,
            "RoleArn": pipeline.role_arn,
            "CreationTime": pipeline.created_at,
            "LastModifiedTime": pipeline.last_modified,
            "LastExecutionTime": pipeline.last_run_at,
        }
    )


def _execution_summary(execution: Execution) -> dict[str, Any]:
    return _drop_none(
        {
            "PipelineExecutionArn": execution.arn,
            "StartTime": execution.created_at,
            "PipelineExecutionStatus": execution.status.value,
            "PipelineExecutionDescription": execution.description,
            "PipelineExecutionDisplayName": execution.display_name,
            "PipelineExecutionFailureReason": execution.failure_reason,
        }
    )


def _step(run: StepRun) -> dict[str, Any]:
    return _drop_none(
        {
            "StepName": run.name,
            "StartTime": run.started_at,
            "EndTime": run.ended_at,
            "StepStatus": run.status.value,
            "CacheHitResult": {"SourcePipelineExecutionArn": run.cache_source} if run.cache_source else None,
            "SelectiveExecutionResult": (
                {"SourcePipelineExecutionArn": run.job["selective_source"]} if run.job.get("selective_source") else None
            ),
            "FailureReason": run.failure_reason if run.status.value in ("Failed", "Starting") else None,
            "Metadata": json.loads(json.dumps(run.metadata)),
            "AttemptCount": run.attempt,
        }
    )
