"""Model servers: the SageMaker inference contract (GET /ping, POST /invocations) in a worker process."""
