from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "tracker.products"
    label = "products"
    verbose_name = "Products and planning"
