"""IAM: users, groups, roles, managed and inline policies, access keys (query protocol), and the
authorizer that evaluates the caller's policies on every request (see docs/security.md)."""
