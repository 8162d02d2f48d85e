"""What an operator sees: logs (`logs`), Prometheus metrics (`metrics`) and the request journal."""
