"""Announcements (公告): when an application's publicity closes into a certification, the enterprise joins the
announcement of its round (its tier, the day the publicity closed). Called by ``applications.close_publicity`` in
its transaction, so a certification granted at the close is always announced, once."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from core.audit import acting_as

from .models import Announcement, AnnouncementEntry, Application, Certification


def announce(application: Application, certification: Certification, on: datetime.date) -> Announcement:
    """Put ``certification`` on the announcement of ``application``'s round (created on the first close)."""
    announcement = Announcement.objects.filter(tier=application.tier, published_on=on).first()
    if announcement is None:
        try:
            with transaction.atomic(), acting_as(context={"action": "announce"}):
                announcement = Announcement.objects.create(tier=application.tier, published_on=on)
        except IntegrityError:  # another close of the same round created it meanwhile
            announcement = Announcement.objects.get(tier=application.tier, published_on=on)
    AnnouncementEntry.objects.get_or_create(announcement=announcement, certification=certification,
                                            defaults={"enterprise_id": application.enterprise_id})
    return announcement


def published() -> QuerySet:
    """Announcements that list at least one enterprise, newest first."""
    return Announcement.objects.filter(entries__isnull=False).distinct().order_by("-published_on", "tier", "-id")


def entries(announcement: Announcement) -> QuerySet:
    """The announcement's enterprises in a stable order, with what a public list shows."""
    return (announcement.entries.select_related("enterprise__region", "certification")
            .order_by("enterprise__region_id", "enterprise__name", "id"))
