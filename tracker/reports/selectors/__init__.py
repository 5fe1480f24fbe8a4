"""Reads for the leadership reports, one module per part of the portfolio
report: products (which products, read how), rows (the report's shape), kpis,
incidents, and portfolio (`portfolio_report`, which puts them together)."""
