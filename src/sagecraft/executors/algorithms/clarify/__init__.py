"""Sagecraft's Clarify analyzer (the ``sagemaker-clarify-processing`` image): pre-training bias metrics
of a tabular dataset in Clarify's analysis.json format, and bias drift checks against a baseline."""
