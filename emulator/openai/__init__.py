"""The OpenAI-compatible batch surface under `/v1beta/openai/` (files and batches)."""
