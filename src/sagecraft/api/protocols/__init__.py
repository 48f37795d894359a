"""Wire protocols of AWS services, driven by botocore's service models.

Each protocol module turns an HTTP request into (operation, parameters) and an operation's
output or error into an HTTP response. botocore serializes requests and parses responses on the
client side; these modules are the server-side mirror of that work.
"""
