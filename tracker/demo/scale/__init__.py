"""Generated data at scale for benchmarks and load (`seed_demo --scale N`):
portfolio.py makes the products and everything under them, postmortems.py the
postmortems on their incidents."""
