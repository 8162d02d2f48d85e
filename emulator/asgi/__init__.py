"""The HTTP layer shared by every surface: the route table and its convertors, the pure ASGI
middleware (operations, faults, latency, the request log, API keys), and the request helpers
(`emulator_of`, `read_json`, `tenant_of`, `JSONResponse`). No domain logic lives here.
"""
