from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# Usernames are what members type after "@" to mention someone, and they appear in URLs
# (/u/<username>/): keep to the characters a mention can carry, with at least one letter or
# digit so that "." or ".." can never become a path.
username_validator = RegexValidator(
    regex=r"^(?=.*[A-Za-z0-9])[A-Za-z0-9_.-]{3,30}$",
    message=_(
        "Use 3 to 30 letters, digits, dots, dashes or underscores, with at least one letter or "
        "digit."
    ),
    code="invalid_username",
)

USERNAME_VALIDATORS = [username_validator]
