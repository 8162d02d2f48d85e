"""The synchronous model endpoints (`generateContent`, `countTokens`, `embedContent`, ...)."""
