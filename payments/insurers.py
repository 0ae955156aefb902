"""Insurer adapters: who settles an insurance claim. ``insurer_get(plan.insurer)``.

The ``sandbox`` insurer stands in for the regional medical insurance platform (医保平台) in development, demos and
tests. It settles in the background (payments.tasks.claim_settle) and rejects, with the message a real platform
would give:
- a claim that would take the coverage past the plan's annual cap with the claims it already settled this year;
- a claim whose coverage is no longer valid on the day it is decided;
- any claim of a member number starting with ``REJECT`` (a test switch for testers, documented in docs/payments.md).

It also answers whether a member number is a member of a plan and belongs to the patient it is being linked to
(``verify_member``, asked when a patient links their insurance; a real platform matches the card holder's name and
national id, so that nobody can link a stranger's card to their family): the sandbox takes every number as a member
of the patient except those starting with ``000`` ("not a member of this plan"), a deterministic rule for testers,
documented in docs/payments.md.

An adapter has ``name``, ``decide(claim) -> ClaimDecision`` and ``verify_member(plan, member_number, *, patient) ->
MemberCheck`` (the ``InsurerAdapter`` protocol).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import ClaimStatus, InsuranceClaim, InsurancePlan
from records.models import Patient


@dataclass(frozen=True)
class ClaimDecision:
    settled: bool
    message: str = ""


@dataclass(frozen=True)
class MemberCheck:
    """The insurer's answer to "is this number a member of this plan, and is it this patient's?"; `message` says
    why not."""

    is_member: bool
    message: str = ""


class InsurerAdapter(Protocol):
    name: str

    def decide(self, claim: InsuranceClaim) -> ClaimDecision: ...

    def verify_member(self, plan: InsurancePlan, member_number: str, *, patient: Patient) -> MemberCheck: ...


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

    def verify_member(self, plan: InsurancePlan, member_number: str, *, patient: Patient) -> MemberCheck:
        """Every number is the patient's, except those starting with ``000`` (the testers' switch for "not a
        member"); the sandbox has no register of card holders to match `patient` against."""
        if member_number.startswith("000"):
            return MemberCheck(False, _("The insurer says this number is not a member of %(plan)s.") % {"plan": plan.name})
        return MemberCheck(True)


_INSURERS: dict[str, InsurerAdapter] = {"sandbox": SandboxInsurer()}


def insurer_get(name: str) -> InsurerAdapter:
    try:
        return _INSURERS[name]
    except KeyError:
        raise LookupError(f"No insurer adapter named {name!r}") from None
