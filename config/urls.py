from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from config.health import healthz

# The admin logs in through allauth's form, so its rate limits (failed log-ins per IP address and
# per account), e-mail verification and two-factor authentication guard the admin too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Notifications; includes /notifications/unsubscribe/<token>/, the e-mails' one-click link.
    path("notifications/", include("notifications.urls")),
    path("", include("accounts.urls")),
    path("", include("community.urls")),
    path("", include("ideas.urls")),
    path("mod/", include("moderation.urls")),
    path("insights/", include("insights.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/", include("config.api.urls")),
    path("", include("moderation.public_urls")),
]

if settings.DEBUG:
    urlpatterns += [
        path("_errors/404/", TemplateView.as_view(template_name="404.html")),
        path("_errors/500/", TemplateView.as_view(template_name="500.html")),
    ]
