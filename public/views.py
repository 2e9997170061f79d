"""The public pages: no login, read-only except the objection form. Every value they show comes from
``public.directory`` (publicity lists and certifications as official lists publish them) or from the objector's
own signed link."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from enterprises.models import Tier
from registry import announcements, objections
from registry.models import Announcement, Application, ApplicationStatus

from . import cache, directory, opendata, throttle

PAGE_SIZE = 20
FIELD_LABELS = {"objector_name": gettext_lazy("Name or unit"), "contact_email": gettext_lazy("E-mail"),
                "contact_phone": gettext_lazy("Phone"), "reason": gettext_lazy("Reason"),
                "files": gettext_lazy("Evidence files"), "application": gettext_lazy("Publicity")}
MAX_PAGE = 500


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


@require_GET
def publicity(request: HttpRequest) -> HttpResponse:
    entries = directory.in_publicity()
    rounds: dict[tuple[str, Any], list[directory.PublicityEntry]] = {}
    for entry in entries:
        rounds.setdefault((entry.tier_name, entry.ends_on), []).append(entry)
    return render(request, "public/publicity.html", {
        "rounds": [{"tier_name": tier, "ends_on": ends, "entries": rows} for (tier, ends), rows in rounds.items()],
    })


@require_http_methods(["GET", "POST"])
def object_form(request: HttpRequest, pk: int) -> HttpResponse:
    found = directory.in_publicity(pk)
    if not found:
        raise Http404(_("This enterprise is not in publicity."))
    entry = found[0]
    context: dict[str, Any] = {"entry": entry, "values": {}, "errors": {}, "labels": FIELD_LABELS,
                               "limits": {"reason_min": objections.REASON_MIN, "reason_max": objections.REASON_MAX,
                                          "name_max": objections.NAME_MAX, "max_files": objections.MAX_FILES}}
    if not entry.open_for_objection:
        context["closed"] = True
        return render(request, "public/object_form.html", context)
    if request.method == "GET":
        return render(request, "public/object_form.html", context)
    values = {name: request.POST.get(name, "") for name in ("objector_name", "contact_email", "contact_phone",
                                                             "reason")}
    context["values"] = values
    verdict = throttle.check_objection(request, pk)
    if not verdict.allowed:
        context["errors"] = {"__all__": [
            _("Too many objections from your address just now; please try again later.") if verdict.scope == "address"
            else _("This enterprise has received many objections just now; please try again later.")]}
        response = render(request, "public/object_form.html", context, status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    application = get_object_or_404(Application, pk=pk, status=ApplicationStatus.PUBLICITY)
    try:
        objection = objections.submit_objection(
            application, name=values["objector_name"], email=values["contact_email"],
            phone=values["contact_phone"], reason=values["reason"], files=request.FILES.getlist("files"),
            links=lambda o: (request.build_absolute_uri(reverse("public:objection_confirm",
                                                                args=[objections.confirm_token(o)])),
                             request.build_absolute_uri(reverse("public:objection_status",
                                                                args=[objections.status_token(o)]))),
        )
    except ValidationError as exc:
        context["errors"] = _errors(exc)
        return render(request, "public/object_form.html", context, status=400)
    return render(request, "public/object_sent.html", {"entry": entry, "reference": objection.reference,
                                                       "email": objection.contact_email})


@require_http_methods(["GET", "POST"])
def objection_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the button, POST confirms: a mail scanner that fetches the link does not confirm for you."""
    try:
        objection = objections.objection_to_confirm(token)
        if request.method == "POST":
            objection = objections.confirm_objection(token)
            return render(request, "public/objection_confirmed.html", {
                "objection": objection, "status_url": reverse("public:objection_status",
                                                              args=[objections.status_token(objection)])})
    except ValidationError as exc:
        return render(request, "public/link_invalid.html", {"errors": _errors(exc)}, status=400)
    return render(request, "public/objection_confirm.html", {"objection": objection})


@require_GET
def objection_status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        objection = objections.objection_for_status(token)
    except ValidationError as exc:
        return render(request, "public/link_invalid.html", {"errors": _errors(exc)}, status=400)
    return render(request, "public/objection_status.html", {"objection": objection,
                                                            "application": objection.application})


@require_GET
def announcement_list(request: HttpRequest) -> HttpResponse:
    return render(request, "public/announcements.html",
                  {"announcements": list(announcements.published()[:200])})


def _announcement_records(announcement: Announcement) -> list[dict[str, Any]]:
    records = []
    for number, entry in enumerate(announcements.entries(announcement), start=1):
        enterprise = entry.enterprise
        records.append({
            "no": number, "uscc": enterprise.uscc, "name": enterprise.name, "region_code": enterprise.region.code,
            "region_name": enterprise.region.name, "tier": announcement.tier,
            "tier_name": str(Tier(announcement.tier).label), "certified_on": entry.certification.granted_on,
            "expires_on": entry.certification.expires_on,
        })
    return records


@require_GET
def announcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = get_object_or_404(announcements.published(), pk=pk)
    return render(request, "public/announcement.html", {"announcement": announcement,
                                                        "records": _announcement_records(announcement)})


@require_GET
def announcement_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    announcement = get_object_or_404(announcements.published(), pk=pk)
    records = _announcement_records(announcement)
    name = f"announcement-{announcement.tier}-{announcement.published_on:%Y%m%d}.{fmt}"
    fields = opendata.ANNOUNCEMENT_FIELDS
    if fmt == "csv":
        response = HttpResponse("".join(opendata.csv_stream(fields, records)), content_type="text/csv; charset=utf-8")
    elif fmt == "json":
        rows = [{k: opendata.neutralise(v) if k in ("certified_on", "expires_on") else v for k, v in r.items()}
                for r in records]
        response = HttpResponse("".join(opendata.json_stream(f"announcement:{announcement.pk}", fields, rows)),
                                content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(opendata.xlsx_bytes(fields, records), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _licensed(response)


def _licensed(response: HttpResponse) -> HttpResponse:
    response["Link"] = '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    return response


@require_GET
def directory_page(request: HttpRequest) -> HttpResponse:
    try:
        page = min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    search, errors = directory.Search.from_query(request.GET)
    # The results are cached, not the page: the page carries the visitor's own CSRF token (language switch).
    name = cache.key("directory", get_language(), search.q, search.region, search.tier, page,
                     timezone.localdate())
    found = cache.get(name)
    if found is None:
        found = directory.search(search, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        cache.put(name, found)
    rows, more = found
    return render(request, "public/directory.html", {
        "search": search, "errors": errors, "rows": rows, "searched": bool(search.q or search.region or search.tier),
        "page": page, "more": more, "cities": directory.cities(), "tiers": Tier.choices,
    })


@require_GET
def directory_csv(request: HttpRequest) -> StreamingHttpResponse:
    records = (opendata.directory_record(row) for row in directory.all_listings())
    response = StreamingHttpResponse(opendata.csv_stream(opendata.DIRECTORY_FIELDS, records),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="directory.csv"'
    return _licensed(response)


@require_GET
def directory_json(request: HttpRequest) -> StreamingHttpResponse:
    records = (opendata.directory_record(row) for row in directory.all_listings())
    response = StreamingHttpResponse(opendata.json_stream("directory", opendata.DIRECTORY_FIELDS, records),
                                     content_type="application/json; charset=utf-8")
    return _licensed(response)


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "public/open_data.html", {"licence": opendata.LICENCE,
                                                     "fields": opendata.DIRECTORY_FIELDS})
