"""Throughput benchmark: the emulator end to end against a minimal in-process baseline (`python -m bench`)."""
