"""Inviting a colleague: a signed link by email; accepting it creates the account and the membership.

The link carries the enterprise, the e-mail address and the inviter, signed with the site's key and valid
for ``INVITATION_DAYS``. No table is needed: once a member with that address exists, the link is spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.audit import acting_as
from enterprises.models import Enterprise, Membership, MembershipRole

SALT = "portal.invitation"
INVITATION_DAYS = 7


@dataclass(frozen=True)
class Invitation:
    enterprise: Enterprise
    email: str
    invited_by_id: int


def make_token(enterprise: Enterprise, email: str, invited_by: Any) -> str:
    return signing.dumps({"e": enterprise.pk, "m": email.strip().lower(), "u": invited_by.pk}, salt=SALT)


def read_token(token: str) -> Invitation:
    """The invitation a link stands for; ``ValidationError`` when it is forged, expired or already used."""
    try:
        data = signing.loads(token, salt=SALT, max_age=INVITATION_DAYS * 24 * 3600)
    except signing.SignatureExpired:
        raise ValidationError(_("This invitation has expired. Ask your colleague to send a new one."))
    except signing.BadSignature:
        raise ValidationError(_("This invitation link is not valid."))
    enterprise = Enterprise.objects.filter(pk=data["e"]).first()
    if enterprise is None:
        raise ValidationError(_("This invitation link is not valid."))
    if Membership.objects.filter(enterprise=enterprise, user__email__iexact=data["m"]).exists():
        raise ValidationError(_("This invitation has already been accepted."))
    return Invitation(enterprise, data["m"], data["u"])


def send_invitation(enterprise: Enterprise, email: str, invited_by: Any, accept_url_for: Any) -> str:
    """E-mail ``email`` a link to join ``enterprise``; ``accept_url_for(token)`` builds the absolute link."""
    email = email.strip().lower()
    if Membership.objects.filter(enterprise=enterprise, user__email__iexact=email).exists():
        raise ValidationError({"email": _("A member with this e-mail address already exists.")})
    token = make_token(enterprise, email, invited_by)
    context = {"enterprise": enterprise, "inviter": invited_by, "url": accept_url_for(token), "days": INVITATION_DAYS}
    send_mail(
        render_to_string("portal/email/invitation_subject.txt", context).strip(),
        render_to_string("portal/email/invitation.txt", context),
        None,
        [email],
    )
    return token


@transaction.atomic
def accept(invitation: Invitation, *, username: str, password: str) -> Any:
    """Create the invited user's account and membership (role member), recorded as the new user's own act.

    A link is spent once a member with its address exists. Accepts of links to one enterprise take its row lock
    and check again under it, so several at once (a double click, a link shared) make one account at most.
    """
    Enterprise.objects.select_for_update().filter(pk=invitation.enterprise.pk).first()
    if Membership.objects.filter(enterprise=invitation.enterprise, user__email__iexact=invitation.email).exists():
        raise ValidationError(_("This invitation has already been accepted."))
    User = get_user_model()
    user = User.objects.create_user(username=username, password=password, email=invitation.email)
    with acting_as(user, reason=_("Invitation accepted")):
        Membership.objects.create(user=user, enterprise=invitation.enterprise, role=MembershipRole.MEMBER)
    return user
