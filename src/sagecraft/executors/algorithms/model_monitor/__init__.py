"""Sagecraft's model monitor analyzer (the ``sagemaker-model-monitor-analyzer`` image): data-quality and
model-quality statistics, suggested constraints and constraint violations in SageMaker's formats."""
