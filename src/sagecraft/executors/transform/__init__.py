"""Batch transform: a process in the model's runtime that streams input objects through the same
inference handlers as the model servers (executors/serving), in-process, and writes ``.out`` files."""
