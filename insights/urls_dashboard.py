"""The KPI dashboard, its charts and exports, and the weekly report's recipients, included at
/insights/ (app_name "insights")."""

from django.urls import path

from insights import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chart/<slug:name>.svg", views.chart, name="chart"),
    path("export/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("reports/", views.reports, name="reports"),
    path("reports/<str:username>/remove/", views.report_unsubscribe, name="report_unsubscribe"),
]
