"""Sagecraft: SageMaker workflows that run for real on your own machine or cluster."""

from __future__ import annotations

__version__ = "0.1.0"


def session(home: str | None = None, region: str | None = None):
    """A ready ``sagemaker.Session`` for the Sagecraft server of ``home`` (see ``sagecraft env``)."""
    from sagecraft.client import sagemaker_session

    return sagemaker_session(home=home, region=region)
