"""API v1 for webhooks (see config/api/urls.py)."""

urlpatterns: list = []
