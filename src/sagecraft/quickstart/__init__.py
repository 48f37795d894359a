"""``sagecraft quickstart``: the seed's workflow, step by step, on bundled data."""
