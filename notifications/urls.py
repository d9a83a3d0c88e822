from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.notification_mark_all_read, name="mark_all_read"),
    path("<int:notification_id>/", views.notification_open, name="open"),
    path("<int:notification_id>/read/", views.notification_mark_read, name="mark_read"),
    path("settings/", views.preferences, name="preferences"),
    path("settings/mute/", views.member_mute, name="mute"),
    path("settings/unmute/<int:user_id>/", views.member_unmute, name="unmute"),
    # The link in every e-mail's List-Unsubscribe header and footer; works without signing in.
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
