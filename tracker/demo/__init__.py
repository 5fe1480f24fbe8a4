"""Demo and scale data: the seeders behind `manage.py seed_demo` (seed.py) and
`seed_demo --scale N` (scale/). The top layer: it writes through every domain
app's services and models, and no app imports it."""
