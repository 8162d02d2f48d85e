"""Request validation from Google's own schema (issue 16): what the real API refuses, refused.

- `schema`: the vendored v1beta descriptors (`make schema` refreshes them) compiled to lookup tables.
- `walk`: proto3 JSON checking against them, with Google's messages and field paths.
- `checks`: the service's semantic checks (empty contents, roles, model limits, ...).
- `validator`: `Validator`, the one entry point (modes strict/lenient/off, unknown models).

Importing this package costs nothing: `protobuf` and the schema load on the first validation.
"""
