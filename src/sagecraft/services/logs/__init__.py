"""CloudWatch Logs: log groups, streams and events, kept in the metadata store."""
