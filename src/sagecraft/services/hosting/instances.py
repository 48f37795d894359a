"""The memory of an ML instance type (``ml.<family>.<size>``), from its vCPUs and its family's memory
per vCPU as AWS sizes them: the default memory budget of a multi-model endpoint's model cache."""

from __future__ import annotations

import re

# GiB of memory per vCPU by instance family (general purpose 4, compute 2, memory 8, ...).
GIB_PER_VCPU = {"t2": 2, "t3": 2, "m4": 4, "m5": 4, "m5d": 4, "m6i": 4, "m6g": 4, "m7i": 4, "c4": 1.875, "c5": 2,
                "c5d": 2, "c6i": 2, "c6g": 2, "c7i": 2, "r5": 8, "r5d": 8, "r6i": 8, "r6g": 8, "r7i": 8,
                "g4dn": 4, "g5": 4, "p3": 7.625, "inf1": 2, "inf2": 4}
VCPUS = {"medium": 2, "large": 2, "xlarge": 4}
SIZE = re.compile(r"^(\d+)xlarge$")


def instance_memory_mb(instance_type: str | None) -> int | None:
    """The instance's memory in MB, or None for a type this table cannot size."""
    parts = (instance_type or "").split(".")
    if len(parts) != 3 or parts[0] != "ml" or parts[1] not in GIB_PER_VCPU:
        return None
    size = parts[2]
    scaled = SIZE.match(size)
    vcpus = VCPUS.get(size) or (4 * int(scaled.group(1)) if scaled else None)
    if vcpus is None:
        return None
    return int(vcpus * GIB_PER_VCPU[parts[1]] * 1024)
