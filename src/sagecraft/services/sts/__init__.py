"""STS: who is calling (GetCallerIdentity) and temporary credentials (AssumeRole)."""
