"""The moderators' pages, mounted at /mod/ by ``config/urls.py``::

    path("mod/", include("moderation.urls")),

Members' pages (flag, appeal, their history, the guidelines, public logs) are in
``moderation.public_urls``, mounted at the root: /mod/ answers 403 to members."""

from django.urls import path
from django.views.generic import RedirectView

from moderation import views

app_name = "moderation"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="moderation:queue"), name="home"),
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.queue_bulk, name="queue_bulk"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/claim/", views.item_claim, name="item_claim"),
    path("items/<int:item_id>/release/", views.item_release, name="item_release"),
    path("items/<int:item_id>/decide/", views.item_decide, name="item_decide"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide, name="appeal_decide"),
    path("members/<str:username>/notes/", views.member_note, name="member_note"),
    path("staff/", views.staff_queue, name="staff_queue"),
    path("audit/", views.audit, name="audit"),
]
