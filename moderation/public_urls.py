"""Members' moderation pages, mounted at the root by ``config/urls.py``::

path("", include("moderation.public_urls")),
"""

from django.urls import path

from moderation import views

app_name = "moderation_public"
urlpatterns = [
    path("p/<int:post_id>/flag/", views.post_flag, name="post_flag"),
    path("t/<int:topic_id>/flag/", views.topic_flag, name="topic_flag"),
    path("u/<str:username>/flag/", views.member_flag, name="member_flag"),
    path("p/<int:post_id>/appeal/", views.post_appeal, name="post_appeal"),
    path("my/moderation/", views.my_moderation, name="my_moderation"),
    path("guidelines/", views.guidelines, name="guidelines"),
    path("c/<slug:slug>/moderation-log/", views.public_log, name="public_log"),
]
