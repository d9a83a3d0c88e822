"""People and e-reputation watch pages, included at /insights/ (app_name "insights")."""

from django.urls import path

from insights import views_people as views

urlpatterns = [
    path("people/", views.influencers, name="influencers"),
    path("people/export.<str:fmt>", views.influencers_export, name="influencers_export"),
    path("people/rising/", views.rising, name="rising"),
    path("people/ambassadors/", views.ambassadors, name="ambassadors"),
    path(
        "people/<str:username>/ambassador/",
        views.ambassador_toggle,
        name="ambassador_toggle",
    ),
    path("watch/", views.watch_list, name="watch"),
    path("watch/export.<str:fmt>", views.watch_export, name="watch_export"),
    path("watch/<int:term_id>/", views.watch_detail, name="watch_detail"),
    path("watch/<int:term_id>/chart.svg", views.watch_chart, name="watch_chart"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
]
