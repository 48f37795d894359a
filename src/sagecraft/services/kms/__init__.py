"""KMS (json 1.1): symmetric keys whose material is wrapped by the server's master key, aliases,
grants, and Encrypt / Decrypt / ReEncrypt / GenerateDataKey with AES-256-GCM (docs/security.md)."""
