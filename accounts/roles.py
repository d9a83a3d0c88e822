"""The four roles, as Django groups created by a data migration, and what each may do."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MEMBER = "Member", _("Member")
    MODERATOR = "Moderator", _("Moderator")
    BRAND_STAFF = "Brand staff", _("Brand staff")
    ADMINISTRATOR = "Administrator", _("Administrator")


# Permission codenames (app label "accounts") granted to each role's group.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.MEMBER: [],
    Role.MODERATOR: ["moderate", "view_insights", "manage_trust_levels"],
    Role.BRAND_STAFF: ["answer_officially", "view_insights"],
    Role.ADMINISTRATOR: [
        "moderate",
        "answer_officially",
        "view_insights",
        "manage_trust_levels",
        "administer",
    ],
}
STAFF_ROLES = (Role.MODERATOR, Role.BRAND_STAFF, Role.ADMINISTRATOR)
