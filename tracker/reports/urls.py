from django.urls import path

from tracker.reports import views

app_name = "reports"

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio.csv", views.portfolio_csv, name="portfolio_csv"),
    path("portfolio.pdf", views.portfolio_pdf, name="portfolio_pdf"),
    path("exports/<int:pk>/", views.export_detail, name="export"),
    path("exports/<int:pk>/file", views.export_download, name="export_download"),
    path("products/<slug:slug>.pdf", views.product_pdf, name="product_pdf"),
]
