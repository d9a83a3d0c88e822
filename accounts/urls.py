from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/trust-level/", views.trust_level_change, name="trust_level"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/tokens/", views.api_tokens_page, name="api_tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
