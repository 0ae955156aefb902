"""Settling insurance claims through the plan's insurer adapter (payments.insurers)."""

from payments.insurers import insurer_get
from payments.models import ClaimStatus, InsuranceClaim
from payments.services.ledger import claim_decided


def claim_settle(*, claim: InsuranceClaim) -> InsuranceClaim:
    """Ask the insurer to decide a pending claim and record its answer (ledger.claim_decided). A decided claim
    is returned unchanged, so the task may run twice."""
    if claim.status != ClaimStatus.PENDING:
        return claim
    decision = insurer_get(claim.coverage.plan.insurer).decide(claim)
    return claim_decided(claim=claim, settled=decision.settled, message=decision.message)
