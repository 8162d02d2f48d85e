"""Webhooks: the WebhookService API (static, HMAC-signed webhooks per API key) and the delivery of
batch events to them and to a batch's own `webhookConfig.uris` (RS256 JWT-signed), at least once,
retried on the emulator's clock, durable across restarts. See docs/webhooks.md.
"""
