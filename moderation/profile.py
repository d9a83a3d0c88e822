"""Moderation's section of a member's profile page (registered in ``ModerationConfig.ready``):
for moderators, the member's active sanctions and the moderators' notes with a form to add
one; for other members, a "flag this profile" link. Two queries at most."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from moderation import permissions as perms
from moderation.models import ModeratorNote


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # moderation's URLs are not mounted on this site
        return None


def profile_section(request: HttpRequest, member: User) -> dict | None:
    viewer = request.user
    if perms.can_view_moderator_notes(viewer):
        note_url = _url("moderation:member_note", member.username)
        return {
            "member": member,
            "moderator": True,
            "notes": list(ModeratorNote.objects.filter(member=member)[:10]),
            "restrictions": perms.member_restrictions(member, refresh=True),
            "note_url": note_url,
        }
    if perms.can_flag_member(viewer, member):
        flag_url = _url("moderation_public:member_flag", member.username)
        return {"member": member, "moderator": False, "flag_url": flag_url} if flag_url else None
    return None
