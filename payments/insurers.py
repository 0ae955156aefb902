"""Insurer adapters: who settles an insurance claim. ``insurer_get(plan.insurer)``.

The ``sandbox`` insurer stands in for the regional medical insurance platform (医保平台) in development, demos and
tests. It settles in the background (payments.tasks.claim_settle) and rejects, with the message a real platform
would give:
- a claim that would take the coverage past the plan's annual cap with the claims it already settled this year;
- a claim whose coverage is no longer valid on the day it is decided;
- any claim of a member number starting with ``REJECT`` (a test switch for testers, documented in docs/payments.md).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import ClaimStatus, InsuranceClaim


@dataclass(frozen=True)
class ClaimDecision:
    settled: bool
    message: str = ""


class SandboxInsurer:
    name = "sandbox"

    def decide(self, claim: InsuranceClaim) -> ClaimDecision:
        coverage = claim.coverage
        plan = coverage.plan
        if coverage.member_number.upper().startswith("REJECT"):
            return ClaimDecision(False, _("The member number is not recognised by the insurer."))
        today = timezone.localdate()
        if coverage.valid_to is not None and coverage.valid_to < today:
            return ClaimDecision(False, _("The coverage has ended."))
        if plan.annual_cap is not None:
            settled = (InsuranceClaim.objects.filter(coverage=coverage, year=claim.year, status=ClaimStatus.SETTLED)
                       .exclude(pk=claim.pk).aggregate(t=Sum("insurer_share"))["t"] or Decimal("0.00"))
            if settled + claim.insurer_share > plan.annual_cap:
                return ClaimDecision(False, _("The annual cap of the plan has been reached."))
        return ClaimDecision(True, _("Settled"))


_INSURERS = {"sandbox": SandboxInsurer()}


def insurer_get(name: str):
    try:
        return _INSURERS[name]
    except KeyError:
        raise LookupError(f"No insurer adapter named {name!r}") from None
