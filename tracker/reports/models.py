"""Export jobs: a portfolio CSV or PDF too large to make inside a request is
made by a worker (tracker/reports/jobs.py) and kept here until it is fetched."""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.accounts.models import User


class ReportExport(models.Model):
    """One export of the portfolio report, asked for by one person.

    The file is kept in the database, not under MEDIA_ROOT: the web process
    and the workers share the database and nothing else (no shared volume to
    configure), the file goes wherever the rows go (backups included), and the
    sweep deletes it with its row. Exports are kept for a day
    (REPORT_EXPORT_KEEP_HOURS)."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    format = models.CharField(max_length=3, choices=Format.choices)
    query = models.CharField(
        max_length=500,
        blank=True,
        help_text="The report's filters, as the report page's query string.",
    )
    filters_text = models.CharField(max_length=300, help_text="The filters in words.")
    base_url = models.CharField(
        max_length=300, help_text="The site's address the PDF's links start from."
    )
    product_count = models.PositiveIntegerField(
        default=0, help_text="Products the filters matched when it was asked for."
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="0 to 100.")
    content = models.BinaryField(null=True, blank=True, editable=False)
    filename = models.CharField(max_length=100, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="report_export_progress_range"
            ),
        ]
        indexes = [
            # The sweep: unfinished exports to queue again or give up on, and
            # old ones to delete.
            models.Index(fields=["status", "created_at"], name="report_export_sweep"),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("reports:export", args=[self.pk])

    def get_download_url(self) -> str:
        return reverse("reports:export_download", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class ProductStanding(models.Model):
    """Where a product stands, as the portfolio report last computed it: what
    the page's team summaries add up, its attention ranking and the sort keys
    of the products table (tracker/reports/standings.py keeps it; beat
    refreshes every product every few minutes, seed_demo at once). The page
    reads these rather than computing every product's row per request, and
    says how old they are; the table's rows too, but for the figures of the
    period the reader chose, which are counted for the rows shown."""

    product = models.OneToOneField(
        "products.Product",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="standing",
    )
    computed_at = models.DateTimeField()
    # The attention list: the sum of the reasons' weights times the risk
    # tier (0: nothing needs attention), and the reasons, most urgent first.
    urgency = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    # Business KPIs per status, and per band of progress towards the target.
    kpis_on_track = models.PositiveIntegerField(default=0)
    kpis_at_risk = models.PositiveIntegerField(default=0)
    kpis_off_track = models.PositiveIntegerField(default=0)
    kpis_no_data = models.PositiveIntegerField(default=0)
    progress_below_0 = models.PositiveIntegerField(default=0)
    progress_0_25 = models.PositiveIntegerField(default=0)
    progress_25_50 = models.PositiveIntegerField(default=0)
    progress_50_75 = models.PositiveIntegerField(default=0)
    progress_75_100 = models.PositiveIntegerField(default=0)
    progress_met = models.PositiveIntegerField(default=0)
    sla_breaches = models.PositiveIntegerField(default=0)
    budgets_exhausted = models.PositiveIntegerField(default=0)
    open_sev12 = models.PositiveIntegerField(default=0)
    overdue_followups = models.PositiveIntegerField(default=0)
    overdue_action_items = models.PositiveIntegerField(default=0)
    policy_violations = models.PositiveIntegerField(default=0)
    # Sort keys of the products table (selectors/summary.py says each order).
    kpi_order = models.PositiveSmallIntegerField(default=4)
    kpi_min_progress = models.FloatField(null=True, blank=True)
    sla_min_compliance = models.FloatField(null=True, blank=True)
    readiness_share = models.FloatField(default=1.0)
    # Cost and value to date (tracker.outcomes), summed per team.
    cost = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    payback_date = models.DateField(null=True, blank=True)
    # The product's row of the products table (selectors/rows.stored_row):
    # the figures that do not depend on the report's period, its KPIs and
    # SLAs. Empty, or of another ROW_VERSION: read as not computed until the
    # next refresh.
    row = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # The refresh finds the oldest first; the page, how old they are.
            models.Index(fields=["computed_at"], name="product_standing_age"),
        ]

    def __str__(self) -> str:
        return f"Standing of product {self.product_id} at {self.computed_at}"


class StoredFigures(models.Model):
    """A report's figures over the whole organisation (the portfolio's
    summaries and period figures, the insights), as last computed for one set
    of filters, one period and one set of readable products (`key`, a digest
    of the three). The pages read them rather than adding up every product and
    a year of incidents per request, and say how old they are;
    tracker/reports/stored.py keeps them."""

    class Report(models.TextChoices):
        PORTFOLIO = "portfolio", "Portfolio: summaries and the period's figures"
        INSIGHTS = "insights", "Insights"

    report = models.CharField(max_length=20, choices=Report.choices)
    key = models.CharField(max_length=64)
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "stored figures"
        constraints = [
            models.UniqueConstraint(
                fields=["report", "key"], name="stored_figures_report_key"
            ),
        ]
        indexes = [
            # The purge: rows nobody has asked for in a day.
            models.Index(fields=["computed_at"], name="stored_figures_age"),
        ]

    def __str__(self) -> str:
        return f"{self.get_report_display()} as of {self.computed_at}"
