from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions, selectors, services
from accounts.forms import ApiTokenForm, ProfileForm, TrustLevelForm
from accounts.models import ApiToken, TrustLevel
from accounts.profile import profile_sections
from accounts.trust import missing_for


def profile(request: HttpRequest, username: str) -> HttpResponse:
    member = selectors.user_get_public(username=username)
    figures = member.stats.as_figures() if hasattr(member, "stats") else {}
    next_level = member.trust_level + 1
    context = {
        "member": member,
        "figures": figures,
        "roles": permissions.role_names(member),
        "next_level": TrustLevel(next_level)
        if next_level in settings.TRUST_LEVEL_REQUIREMENTS
        else None,
        "missing": missing_for(figures, settings.TRUST_LEVEL_REQUIREMENTS, next_level)
        if request.user == member
        else {},
        "sections": profile_sections(request, member),
        "can_change_trust_level": permissions.can_change_trust_level(request.user, member),
    }
    if context["can_change_trust_level"]:
        context["trust_form"] = TrustLevelForm(
            initial={"level": member.trust_level, "locked": member.trust_level_locked}
        )
    return render(request, "accounts/profile.html", context)


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm.for_user(user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_profile_update(
                actor=user,
                user=user,
                display_name=form.cleaned_data["display_name"],
                bio=form.cleaned_data["bio"],
                language=form.cleaned_data["language"],
                timezone_name=form.cleaned_data["timezone_name"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            translation.activate(user.language)
            messages.success(request, _("Your settings are saved."))
            response = redirect("accounts:settings")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    return render(request, "accounts/settings.html", {"form": form})


@require_POST
@login_required
def trust_level_change(request: HttpRequest, username: str) -> HttpResponse:
    member = selectors.user_get_public(username=username)
    if not permissions.can_change_trust_level(request.user, member):
        raise PermissionDenied
    form = TrustLevelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid trust level."))
        return redirect(member)
    services.trust_level_set(
        actor=request.user,
        member=member,
        level=form.cleaned_data["level"],
        locked=form.cleaned_data["locked"],
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("Trust level updated."))
    return redirect(member)


@login_required
def api_tokens_page(request: HttpRequest) -> HttpResponse:
    """List the member's API tokens and create one; a new key is shown once, on this response."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = services.api_token_create(
                actor=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)  # a field's error goes to its field, others on top
        else:
            form = ApiTokenForm()
            messages.success(
                request, _("Token “%(name)s” created. Copy it now.") % {"name": token.name}
            )
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
    )
    # The page may show a secret: keep it out of every cache.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:api_tokens")
