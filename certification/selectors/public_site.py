"""Reads for the public site's pages (people, not machines): an officer's page, an agency's page and the
transparency figures. What is public is decided where the registry decides it (`public.py`): only officers who hold
or held a Good Officer Certification, or are permanently ineligible; never a finding."""

from datetime import date

from django.db.models import Count
from django.utils import timezone

from agencies.models import Agency
from core.public_cache import public_answer

from ..models import AgencyCertification, OfficerCertification, OfficerCertificationStatus
from .public import (
    _PUBLIC_OFFICER_FIELDS,
    PUBLIC_PAGE_SIZE_MAX,
    _effective_agency_status,
    _public_officer_row,
    public_metrics,
    public_officers,
)


@public_answer("officer-page")
def public_officer_get(*, officer_id: int) -> dict | None:
    """One public officer by id, with the agency's id for a link; None when the officer is not public."""
    row = public_officers().filter(pk=officer_id).values(*_PUBLIC_OFFICER_FIELDS, "agency_id").first()
    if row is None:
        return None
    return {**_public_officer_row(row, timezone.localdate()), "agency_id": row["agency_id"]}


@public_answer("agency-page")
def public_agency_get(*, agency_id: int, page: int = 1, page_size: int = PUBLIC_PAGE_SIZE_MAX) -> dict | None:
    """An agency's public page: name, county, state, its certificates (newest first; issued ones only, applications
    are not public) and a page of its public officers."""
    agency = Agency.objects.filter(pk=agency_id).values("id", "name", "state", "county").first()
    if agency is None:
        return None
    today = timezone.localdate()
    certificates = [{
        "certificate_number": c["certificate_number"], "programme": c["programme__name"],
        "status": _effective_agency_status(c["status"], c["valid_until"], today),
        "valid_from": c["valid_from"], "valid_until": c["valid_until"],
        "revoked_on": timezone.localdate(c["revoked_at"]) if c["revoked_at"] else None,
    } for c in AgencyCertification.objects.filter(agency_id=agency_id, issued_at__isnull=False)
        .order_by("-issued_at", "-id")
        .values("certificate_number", "programme__name", "status", "valid_from", "valid_until", "revoked_at")[:20]]
    page_size = max(1, min(page_size, PUBLIC_PAGE_SIZE_MAX))
    offset = (max(page, 1) - 1) * page_size
    rows = list(public_officers().filter(agency_id=agency_id).order_by("last_name", "first_name", "id")
                .values(*_PUBLIC_OFFICER_FIELDS)[offset:offset + page_size + 1])
    officers = [{**_public_officer_row(r, today), "id": r["id"]} for r in rows[:page_size]]
    return {**agency, "certificates": certificates, "current": certificates[0] if certificates else None,
            "officers": officers, "officers_more": len(rows) > page_size, "page": max(page, 1)}


def _certified_agency_spans() -> list[tuple[int, date, date, str]]:
    """(agency id, first day, last day, state) of every issued certificate; a revoked one ends the day before its
    revocation."""
    spans = []
    for c in (AgencyCertification.objects.filter(issued_at__isnull=False, valid_from__isnull=False,
                                                 valid_until__isnull=False)
              .values("agency_id", "agency__state", "valid_from", "valid_until", "revoked_at")):
        end = c["valid_until"]
        if c["revoked_at"] is not None:
            end = min(end, timezone.localdate(c["revoked_at"]) - timezone.timedelta(days=1))
        if end >= c["valid_from"]:
            spans.append((c["agency_id"], c["valid_from"], end, c["agency__state"]))
    return spans


def public_certified_agencies_over_time() -> list[dict]:
    """Certified agencies at the end of each year since the first certificate (this year: today)."""
    spans = _certified_agency_spans()
    if not spans:
        return []
    today = timezone.localdate()
    first_year = min(start.year for _, start, _, _ in spans)
    series = []
    for year in range(first_year, today.year + 1):
        point = today if year == today.year else date(year, 12, 31)
        agencies = {agency for agency, start, end, _ in spans if start <= point <= end}
        series.append({"year": year, "as_of": point, "certified_agencies": len(agencies)})
    return series


def public_figures_by_state() -> list[dict]:
    """Per state: agencies certified today, officers with an active certification, revocations (all years)."""
    today = timezone.localdate()
    agencies: dict[str, set] = {}
    for agency, start, end, state in _certified_agency_spans():
        if start <= today <= end:
            agencies.setdefault(state, set()).add(agency)
    officers = dict(OfficerCertification.objects.filter(status=OfficerCertificationStatus.ACTIVE,
                                                        valid_until__gte=today)
                    .values("officer__state").annotate(n=Count("id")).values_list("officer__state", "n"))
    revoked = dict(public_officers().filter(permanently_ineligible_at__isnull=False)
                   .values("state").annotate(n=Count("id")).values_list("state", "n"))
    states = sorted(set(agencies) | set(officers) | set(revoked))
    return [{"state": s, "certified_agencies": len(agencies.get(s, ())), "active_officers": officers.get(s, 0),
             "revocations": revoked.get(s, 0)} for s in states]


def public_revocations_per_year() -> list[dict]:
    """From the public metrics: certificates revoked, and never-certified people made ineligible, per year."""
    metrics = public_metrics()
    years = sorted(set(metrics["revocations_per_year"]) | set(metrics["ineligible_per_year"]))
    return [{"year": int(y), "revocations": metrics["revocations_per_year"].get(y, 0),
             "ineligible": metrics["ineligible_per_year"].get(y, 0)} for y in years]


@public_answer("transparency")
def public_transparency_figures() -> dict:
    metrics = public_metrics()
    return {"certified_agencies": metrics["certified_agencies"], "active_officers": metrics["active_officers"],
            "revocations_total": sum(metrics["revocations_per_year"].values()),
            "ineligible_total": sum(metrics["ineligible_per_year"].values())}


__all__ = ["public_agency_get", "public_certified_agencies_over_time", "public_figures_by_state",
           "public_officer_get", "public_revocations_per_year", "public_transparency_figures"]
