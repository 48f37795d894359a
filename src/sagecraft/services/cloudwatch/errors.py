"""CloudWatch (metrics) errors. The service speaks json 1.0 in query-compatible mode: ``code`` is the
modelled shape name (``__type``), ``query_code`` what query clients and ``x-amzn-query-error`` say."""

from __future__ import annotations

from sagecraft.core.errors import AwsError, ClientError


class InvalidParameterValue(ClientError):
    code = "InvalidParameterValueException"
    query_code = "InvalidParameterValue"


class MissingParameter(ClientError):
    code = "MissingRequiredParameterException"
    query_code = "MissingParameter"


class InvalidParameterCombination(ClientError):
    code = "InvalidParameterCombinationException"
    query_code = "InvalidParameterCombination"


class InvalidNextToken(ClientError):
    code = "InvalidNextToken"
    query_code = "InvalidNextToken"


class ValidationError(ClientError):
    """Unmodelled constraint failures (GetMetricData queries): CloudWatch's coral ValidationException."""

    code = "ValidationException"
    query_code = "ValidationError"


class InternalServiceFault(AwsError):
    code = "InternalServiceFault"
    query_code = "InternalServiceError"
