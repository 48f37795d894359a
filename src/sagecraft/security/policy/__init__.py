"""IAM policy language: documents parsed and validated as IAM does, and evaluated as AWS documents
its policy evaluation logic (explicit deny > allow > implicit deny; identity, resource-based,
boundary and session policies).

    document.py    parse_policy(): JSON → PolicyDocument, or MalformedPolicyDocument naming the fault
    patterns.py    wildcards (* ?) and policy variables (${aws:username}) compiled to regular expressions
    conditions.py  the Condition element: operators, IfExists, ForAllValues / ForAnyValue, Null
    evaluation.py  evaluate(): a request (action, resource, context keys, principal) against policies
    key_policy.py  evaluate_with_key_policy(): KMS's rules, where the key policy must consent
"""

from sagecraft.security.policy.document import MalformedPolicyDocument, PolicyDocument, Statement, parse_policy
from sagecraft.security.policy.evaluation import (
    AuthorizationRequest,
    Decision,
    EvaluationResult,
    NamedPolicy,
    evaluate,
)
from sagecraft.security.policy.key_policy import evaluate_with_key_policy

__all__ = [
    "AuthorizationRequest",
    "Decision",
    "EvaluationResult",
    "MalformedPolicyDocument",
    "NamedPolicy",
    "PolicyDocument",
    "Statement",
    "evaluate",
    "evaluate_with_key_policy",
    "parse_policy",
]
