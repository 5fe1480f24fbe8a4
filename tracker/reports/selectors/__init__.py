"""Reads for the leadership reports, one module per part of the portfolio
report: products (which products, read how), rows (the report's shape), kpis,
incidents, and portfolio (`portfolio_report`, which puts them together); summary
and attention (team summaries, sort orders, the attention ranking), and overview
(the page and API at any size, from the products' stored standings)."""
