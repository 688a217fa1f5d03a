"""The public registry: plain dicts from `.values()`, one query each; limited fields, never the findings."""

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from agencies.models import Agency, Officer, OfficerLicense, license_key
from core.public_cache import public_answer

from ..models import (
    AgencyCertification,
    AgencyCertificationStatus,
    Finding,
    FindingStatus,
    OfficerCertification,
    OfficerCertificationStatus,
)
from .eligibility import officer_certification_effective_status

# --- public registry: plain dicts from `.values()`, one query each ---------------------------------------------

PUBLIC_RESULTS_MAX = 50
REVOKED_CATEGORY_DEFAULT = "sustained_excessive_force_finding"


INELIGIBLE_STATUS = "ineligible"  # permanently ineligible without ever having been certified


def _public_officer_row(row: dict, today: date) -> dict:
    ineligible_at = row["permanently_ineligible_at"]
    status = officer_certification_effective_status(row["good_officer_certification__status"],
                                                    row["good_officer_certification__valid_until"], today)
    revoked_at = row["good_officer_certification__revoked_at"]
    if ineligible_at is not None:
        # Say what happened: a certificate was revoked, or a person who never held one was made ineligible.
        status = OfficerCertificationStatus.REVOKED if status is not None else INELIGIBLE_STATUS
        revoked_at = revoked_at or ineligible_at
    revoked = status in (OfficerCertificationStatus.REVOKED, INELIGIBLE_STATUS)
    return {
        "name": f"{row['first_name']} {row['last_name']}",
        "license_number": row["license_number"],
        "state": row["state"],
        "agency": row["agency__name"],
        "certification_status": status,
        "cycle_start": row["good_officer_certification__cycle_start"],
        "valid_until": row["good_officer_certification__valid_until"],
        "revoked_on": timezone.localdate(revoked_at) if revoked and revoked_at else None,
        "revocation_category": (row["good_officer_certification__revocation_category"]
                                or REVOKED_CATEGORY_DEFAULT) if revoked else None,
    }


_PUBLIC_OFFICER_FIELDS = ("id", "first_name", "last_name", "license_number", "state", "agency__name",
                          "permanently_ineligible_at", "good_officer_certification__status",
                          "good_officer_certification__cycle_start", "good_officer_certification__valid_until",
                          "good_officer_certification__revoked_at",
                          "good_officer_certification__revocation_category")
PUBLIC_QUERY_MIN_LENGTH = 3
PUBLIC_PAGE_SIZE_MAX = 50


def public_officers() -> QuerySet[Officer]:
    """The public part of the roster: officers who hold or held a Good Officer Certification, and permanently
    ineligible officers. Everyone else on an agency's roster is not public."""
    return Officer.objects.filter(Q(good_officer_certification__isnull=False)
                                  | Q(permanently_ineligible_at__isnull=False))


@public_answer("officer-search")
def public_officer_search(*, q: str, page: int = 1, page_size: int = PUBLIC_RESULTS_MAX,
                          with_ids: bool = False) -> tuple[list[dict], bool]:
    """Public officers by name (every word), any licence number they ever held (exact) or agency name. Limited
    fields only — never the findings. Returns (rows of the page, whether more follow). `with_ids`: each row also
    carries the officer's id, for the public site's links (the API leaves it out)."""
    q = q.strip()
    name = Q()
    for part in q.split()[:4]:
        name &= Q(first_name__icontains=part) | Q(last_name__icontains=part)
    # Each way of matching is its own indexed query (trigram GIN on the names and the agency name, agencies 0006;
    # the licence-key btree), joined with UNION: one OR across the agency join scans every officer (190 ms at 100k
    # officers in `make bench`'s scale section).
    by_license = OfficerLicense.objects.filter(license_key=license_key(q), recorded_in_error=False)
    candidates = (Officer.objects.filter(name).order_by().values("id")
                  .union(by_license.order_by().values("officer_id"),
                         Officer.objects.filter(agency__name__icontains=q).order_by().values("id")))
    condition = Q(pk__in=candidates)
    page_size = max(1, min(page_size, PUBLIC_PAGE_SIZE_MAX))
    offset = (max(page, 1) - 1) * page_size
    rows = list(public_officers().filter(condition).order_by("last_name", "first_name", "id")
                .values(*_PUBLIC_OFFICER_FIELDS)[offset:offset + page_size + 1])
    today = timezone.localdate()
    return ([{**_public_officer_row(r, today), **({"id": r["id"]} if with_ids else {})} for r in rows[:page_size]],
            len(rows) > page_size)


def _effective_agency_status(status: str | None, valid_until: date | None, today: date) -> str | None:
    if status == AgencyCertificationStatus.ISSUED and valid_until is not None and valid_until < today:
        return AgencyCertificationStatus.EXPIRED
    return status


@public_answer("agency-search")
def public_agency_search(*, q: str, with_ids: bool = False) -> tuple[list[dict], bool]:
    """Agencies by name, county or state, each with its latest certificate (one query: the certificate columns are
    correlated subqueries). `with_ids`: each row also carries the agency's id, for the public site's links."""
    q = q.strip()
    latest = (AgencyCertification.objects.filter(agency_id=OuterRef("pk"), issued_at__isnull=False)
              .order_by("-issued_at", "-id"))
    annotations = {f"cert_{f}": Subquery(latest.values(f)[:1]) for f in
                   ("status", "certificate_number", "valid_from", "valid_until", "revoked_at")}
    annotations["cert_programme"] = Subquery(latest.values("programme__name")[:1])
    condition = Q(name__icontains=q) | Q(county__icontains=q) | Q(state__iexact=q)
    rows = list(Agency.objects.filter(condition).annotate(**annotations).order_by("name", "id")
                .values("id", "name", "state", "county", *annotations)[:PUBLIC_RESULTS_MAX + 1])
    today = timezone.localdate()
    results = [{
        **({"id": r["id"]} if with_ids else {}), "name": r["name"], "state": r["state"], "county": r["county"],
        "certification_status": _effective_agency_status(r["cert_status"], r["cert_valid_until"], today),
        "programme": r["cert_programme"], "certificate_number": r["cert_certificate_number"],
        "valid_from": r["cert_valid_from"], "valid_until": r["cert_valid_until"],
        "revoked_on": timezone.localdate(r["cert_revoked_at"]) if r["cert_revoked_at"] else None,
    } for r in rows[:PUBLIC_RESULTS_MAX]]
    return results, len(rows) > PUBLIC_RESULTS_MAX


@public_answer("agency-certificate")
def public_agency_certificate(*, certificate_number: str) -> dict | None:
    """What a plaque's QR code opens: is this certificate genuine and current?"""
    from core.codes import verification_code_normalise

    row = (AgencyCertification.objects.filter(certificate_number=verification_code_normalise(certificate_number))
           .values("certificate_number", "status", "valid_from", "valid_until", "revoked_at", "agency__name",
                   "agency__state", "programme__name").first())
    if row is None:
        return None
    status = _effective_agency_status(row["status"], row["valid_until"], timezone.localdate())
    return {
        "certificate_number": row["certificate_number"], "valid": status == AgencyCertificationStatus.ISSUED,
        "status": status, "agency": row["agency__name"], "state": row["agency__state"],
        "programme": row["programme__name"], "valid_from": row["valid_from"], "valid_until": row["valid_until"],
        "revoked_on": timezone.localdate(row["revoked_at"]) if row["revoked_at"] else None,
    }


@public_answer("eligibility")
def public_employment_eligibility(*, state: str, license_number: str) -> dict:
    """May this officer be employed? Eligible only with an active, current certification. The reason is a category
    (active, lapsed, revoked, ineligible, unknown), never the details behind it. Any licence the person ever held
    answers for them: re-licensing a record does not make its old licence employable."""
    state, license_number = state.strip().upper(), license_number.strip()
    row = (OfficerLicense.objects.filter(state=state, license_key=license_key(license_number),
                                         recorded_in_error=False)
           .values("officer__permanently_ineligible_at", "officer__good_officer_certification__status",
                   "officer__good_officer_certification__valid_until").first())
    if row is None:
        reason = "unknown"  # also for a roster entry never certified: the roster itself is not public
    elif row["officer__permanently_ineligible_at"] is not None:
        reason = (OfficerCertificationStatus.REVOKED.value if row["officer__good_officer_certification__status"]
                  else INELIGIBLE_STATUS)
    else:
        status = officer_certification_effective_status(row["officer__good_officer_certification__status"],
                                                        row["officer__good_officer_certification__valid_until"])
        reason = status or "unknown"
    return {"state": state, "license_number": license_number,
            "eligible": reason == OfficerCertificationStatus.ACTIVE, "reason": str(reason)}


@public_answer("metrics")
def public_metrics() -> dict:
    """Certified agencies, active officers and revocations per year, in one query (three grouped SELECTs joined
    with UNION ALL)."""
    from django.db.models import IntegerField, Value
    from django.db.models.functions import Cast, ExtractYear

    today = timezone.localdate()
    # Typed on both sides: PostgreSQL will not UNION an untyped NULL parameter with EXTRACT's numeric.
    no_year = Cast(Value(None, output_field=IntegerField()), IntegerField())
    agencies = (AgencyCertification.objects.filter(status=AgencyCertificationStatus.ISSUED, valid_until__gte=today)
                .annotate(metric=Value("certified_agencies"), year=no_year).values("metric", "year")
                .annotate(n=Count("agency_id", distinct=True)).order_by())
    officers = (OfficerCertification.objects.filter(status=OfficerCertificationStatus.ACTIVE, valid_until__gte=today)
                .annotate(metric=Value("active_officers"), year=no_year).values("metric", "year")
                .annotate(n=Count("id")).order_by())
    decertified = Officer.objects.filter(permanently_ineligible_at__isnull=False)
    year = Cast(ExtractYear("permanently_ineligible_at"), IntegerField())
    # Counted apart: a certificate revoked, and a person who never held one made permanently ineligible.
    revocations = (decertified.filter(good_officer_certification__isnull=False)
                   .annotate(metric=Value("revocations_per_year"), year=year)
                   .values("metric", "year").annotate(n=Count("id")).order_by())
    ineligible = (decertified.filter(good_officer_certification__isnull=True)
                  .annotate(metric=Value("ineligible_per_year"), year=year)
                  .values("metric", "year").annotate(n=Count("id")).order_by())
    result = {"certified_agencies": 0, "active_officers": 0, "revocations_per_year": {}, "ineligible_per_year": {}}
    for row in agencies.union(officers, revocations, ineligible, all=True):
        if row["metric"] in ("revocations_per_year", "ineligible_per_year"):
            result[row["metric"]][str(row["year"])] = row["n"]
        else:
            result[row["metric"]] = row["n"]
    for key in ("revocations_per_year", "ineligible_per_year"):
        result[key] = dict(sorted(result[key].items()))
    return result


REVOCATION_EXPORT_COLUMNS = ["officer_name", "license_number", "state", "agency", "action", "action_date",
                             "current_license_number", "current_state"]


def public_revocations_export() -> list[dict]:
    """Every decertification, in the shape a national decertification index takes: officer, the licence held at
    the time (and the current one), state, agency (where the verified finding arose), action
    (`certification_revoked`, or `ineligible` for a person who never held a certificate), date. One query."""
    from django.db.models.functions import Coalesce

    finding_agency = (Finding.objects.filter(officer_id=OuterRef("pk"), status=FindingStatus.VERIFIED)
                      .order_by("verified_at", "id").values("agency__name")[:1])
    held_then = (OfficerLicense.objects.filter(officer_id=OuterRef("pk"), recorded_in_error=False,
                                               held_from__lte=OuterRef("permanently_ineligible_at"))
                 .filter(Q(held_until__isnull=True) | Q(held_until__gt=OuterRef("permanently_ineligible_at")))
                 .order_by("-held_from", "-id"))
    rows = (Officer.objects.filter(permanently_ineligible_at__isnull=False)
            .annotate(action_agency=Coalesce(Subquery(finding_agency), "agency__name"),
                      license_then=Subquery(held_then.values("license_number")[:1]),
                      state_then=Subquery(held_then.values("state")[:1]),
                      was_certified=Exists(OfficerCertification.objects.filter(officer_id=OuterRef("pk"))))
            .order_by("permanently_ineligible_at", "id")
            .values("first_name", "last_name", "license_number", "state", "action_agency", "license_then",
                    "state_then", "was_certified", "permanently_ineligible_at"))
    return [{
        "officer_name": f"{r['first_name']} {r['last_name']}",
        "license_number": r["license_then"] or r["license_number"], "state": r["state_then"] or r["state"],
        "agency": r["action_agency"], "action": "certification_revoked" if r["was_certified"] else INELIGIBLE_STATUS,
        "action_date": timezone.localdate(r["permanently_ineligible_at"]).isoformat(),
        "current_license_number": r["license_number"], "current_state": r["state"],
    } for r in rows]
