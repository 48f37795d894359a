"""SageMaker ML lineage: artifacts, actions, contexts, the associations between any two ARNs, and
QueryLineage's walk over them."""
