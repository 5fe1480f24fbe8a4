"""API views for products and what hangs off them: metrics and measurements, SLAs
and checks, the data survey, the rollout plan and experiments, planning
sessions, the stage timeline, CI tokens and the product's history.

Thin: each method fetches-and-authorizes through a selector, validates with an
input serializer, calls one service and shapes the response with an output
serializer. Class-level `queryset`s are `.none()`: they name the model for the
filter backend and the schema; rows always come from the selectors.
"""

from tracker.products.api.experiments import (
    ExperimentDetailView,
    ProductExperimentListView,
    ProductRolloutStepListView,
    RolloutStepDetailView,
)
from tracker.products.api.history import ProductHistoryView
from tracker.products.api.metrics import (
    MeasurementDetailView,
    MetricDetailView,
    MetricMeasurementListView,
    ProductMetricListView,
)
from tracker.products.api.products import ProductListView, ProductStageChangeListView
from tracker.products.api.segments import ProductSegmentsView
from tracker.products.api.sessions import ProductSessionListView, SessionDetailView
from tracker.products.api.slas import ProductSLAListView, SLADetailView
from tracker.products.api.survey import ProductSurveyListView, SurveyFeatureDetailView
from tracker.products.api.tokens import CITokenDetailView, CITokenListView

__all__ = [
    "CITokenDetailView",
    "CITokenListView",
    "ExperimentDetailView",
    "MeasurementDetailView",
    "MetricDetailView",
    "MetricMeasurementListView",
    "ProductExperimentListView",
    "ProductHistoryView",
    "ProductListView",
    "ProductMetricListView",
    "ProductRolloutStepListView",
    "ProductSLAListView",
    "ProductSegmentsView",
    "ProductSessionListView",
    "ProductStageChangeListView",
    "ProductSurveyListView",
    "RolloutStepDetailView",
    "SLADetailView",
    "SessionDetailView",
    "SurveyFeatureDetailView",
]
