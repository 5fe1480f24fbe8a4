from django.urls import path

from tracker.reports import views

app_name = "reports"

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio.csv", views.portfolio_csv, name="portfolio_csv"),
    path("portfolio.pdf", views.portfolio_pdf, name="portfolio_pdf"),
    path("products/<slug:slug>.pdf", views.product_pdf, name="product_pdf"),
]
