"""RDS Proxy for PostgreSQL: a transaction pooler with RDS Proxy's pinning, limits, errors and metrics."""
