from allauth.account.adapter import DefaultAccountAdapter

from accounts import services


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up glue: a new account gets its statistics row and the Member role."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            language = getattr(request, "LANGUAGE_CODE", None)
            if language and language != user.language:
                user.language = language
                user.save(update_fields=["language"])
            services.user_setup(user=user)
        return user
