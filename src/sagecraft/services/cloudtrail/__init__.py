"""The audit trail: every call the gateway answers, allowed or denied, as a CloudTrail event in an
append-only JSON Lines file under the home; CloudTrail LookupEvents reads it back."""
