from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/trust-level/", views.trust_level_change, name="trust_level"),
    path("settings/", views.settings_page, name="settings"),
]
