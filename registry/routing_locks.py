"""What in the registry depends on an enterprise's routing fields (``enterprises.locks``).

- An application under review (county, city or provincial review, publicity, recommended) was routed by the
  enterprise's region and judged on its sector, size and figures: it locks the routing fields, the declarations
  it read (its year and the year before) and the financial rows of its three years.
- An active certification names the enterprise and counts against its city's quota: it locks the routing
  fields, not the figures (the annual update must go on).

A returned application is the member's to correct, and a draft has not been judged: neither locks anything.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from enterprises.locks import Dependency

from .models import REVIEW_STATUSES, Application, Certification, CertificationStatus


def dependencies(ids: list[int]) -> dict[int, list[Dependency]]:
    """Two queries whatever the number of enterprises."""
    found: dict[int, list[Dependency]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for app in (Application.objects.filter(enterprise_id__in=chunk, status__in=REVIEW_STATUSES)
                    .only("id", "enterprise_id", "tier", "status", "year").order_by("id")):
            reason = _("application #%(id)s (%(tier)s) is in %(status)s") % {
                "id": app.pk, "tier": app.get_tier_display(), "status": app.get_status_display()}
            found.setdefault(app.enterprise_id, []).append(Dependency(
                reason, financial_years=frozenset({app.year, app.year - 1, app.year - 2}),
                declaration_years=frozenset({app.year, app.year - 1}),
            ))
        for cert in (Certification.objects.filter(enterprise_id__in=chunk, status=CertificationStatus.ACTIVE)
                     .only("id", "enterprise_id", "tier").order_by("id")):
            reason = _("the enterprise holds an active %(tier)s certification") % {"tier": cert.get_tier_display()}
            found.setdefault(cert.enterprise_id, []).append(Dependency(reason))
    return found
