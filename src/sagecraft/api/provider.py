"""What a capability's provider looks like to the gateway.

A provider serves one botocore service. For an operation ``CreateTrainingJob`` the gateway calls
the provider's method ``create_training_job(context, params)``, where ``params`` are the parsed and
validated input members, and serializes the dict it returns as the operation's output.

Handlers run on the server's event loop unless the request body was large (spooled to a file) or
the operation is named in the provider's ``threaded_operations``: list there every operation that
may take long (copying big objects, waiting on a lock or a process), so it runs in a worker thread.
A handler may also be a coroutine function (it is awaited on the loop): for work that waits on I/O,
such as forwarding an invocation to a model server."""

from __future__ import annotations

from typing import Protocol


class Provider(Protocol):
    service_name: str  # the botocore service name, e.g. "s3", "sagemaker-runtime"
    threaded_operations: frozenset[str]  # optional: operations that must not run on the event loop
