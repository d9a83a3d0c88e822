from django.urls import include, path

app_name = "insights"
# Two rooms of the CM's dashboard, each with its own URL module: the KPI dashboard and reports,
# and the people and e-reputation pages (influencers, ambassadors, watched terms, alerts).
urlpatterns = [
    path("", include("insights.urls_dashboard")),
    path("", include("insights.urls_people")),
]
