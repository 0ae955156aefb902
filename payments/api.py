"""Payments API (/api/v1/payments/): one APIView per operation, thin over selectors and services.

Bills are seen by the account holders of the patient (the family list) and by front desk and finance staff.
Errors are the services' ApplicationErrors as problem+json (409 state, 402 declined, 403, 404).
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.serializers import ProblemOutput
from core.errors import NotFound, ValidationFailed
from core.pagination import Page
from payments import selectors, services
from payments.models import Invoice, InvoiceStatus
from payments.serializers import (
    CheckoutInput,
    CheckoutOutput,
    CoverageLinkInput,
    CoverageOutput,
    DeskPaymentInput,
    InsuredPersonOutput,
    InvoiceDetailOutput,
    InvoiceOutput,
    PlanOutput,
    RefundInput,
    RefundOutput,
)
from payments.services.refunds import check_may_refund

PROBLEMS = {400: ProblemOutput, 402: ProblemOutput, 403: ProblemOutput, 404: ProblemOutput, 409: ProblemOutput}


def _invoice(request, public_id) -> Invoice:
    invoice = selectors.invoice_get(user=request.user, public_id=public_id)
    if invoice is None:
        raise NotFound(_("We could not find this bill."))
    return invoice


class InvoiceListApi(APIView):
    """The bills of the patients on my family list (all bills for front desk and finance), newest first."""

    pagination_class = Page  # the schema documents the page ({count, next, previous, results}) and limit/offset

    @extend_schema(operation_id="payments_invoices", parameters=[
        OpenApiParameter("patient", OpenApiTypes.UUID, description="Only this patient's bills."),
        OpenApiParameter("status", OpenApiTypes.STR, enum=InvoiceStatus.values),
    ], responses=InvoiceOutput(many=True))
    def get(self, request):
        status_filter = request.query_params.get("status") or None
        if status_filter and status_filter not in InvoiceStatus.values:
            raise ValidationFailed(errors={"status": [_("Unknown status.")]})
        patient = request.query_params.get("patient") or None
        if patient:
            import uuid

            try:
                patient = uuid.UUID(patient)
            except ValueError:
                raise ValidationFailed(errors={"patient": [_("Must be a UUID.")]}) from None
        invoices = selectors.invoice_list(user=request.user, patient_public_id=patient, status=status_filter)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(invoices, request, view=self)
        return paginator.get_paginated_response(InvoiceOutput(page, many=True).data)


class InvoiceDetailApi(APIView):
    """One bill with its lines (and their insurance split), payments and insurance claim."""

    @extend_schema(operation_id="payments_invoice", responses={200: InvoiceDetailOutput, 404: ProblemOutput})
    def get(self, request, public_id):
        return Response(InvoiceDetailOutput(_invoice(request, public_id)).data)


class CheckoutApi(APIView):
    """Start paying the patient's share online: answers the payment and the provider's page to send the payer to.
    The same idempotency_key (two clicks) or a payment already under way (two tabs) answers the same payment."""

    @extend_schema(operation_id="payments_checkout", request=CheckoutInput, responses={201: CheckoutOutput, **PROBLEMS})
    def post(self, request, public_id):
        invoice = _invoice(request, public_id)
        data = CheckoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        return_url = request.build_absolute_uri(data.validated_data.get("return_path") or "/")
        payment = services.checkout_start(invoice=invoice, by=request.user, capture=data.validated_data["capture"],
                                          idempotency_key=data.validated_data["idempotency_key"], return_url=return_url,
                                          base_url=request.build_absolute_uri("/"))
        return Response(CheckoutOutput({"payment": payment}).data, status=status.HTTP_201_CREATED)


class DeskPaymentApi(APIView):
    """Front desk: record cash or card taken at the counter for a bill."""

    @extend_schema(operation_id="payments_desk_payment", request=DeskPaymentInput,
                   responses={201: CheckoutOutput, **PROBLEMS})
    def post(self, request, public_id):
        invoice = _invoice(request, public_id)
        data = DeskPaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_desk_record(invoice=invoice, by=request.user, **data.validated_data)
        return Response(CheckoutOutput({"payment": payment}).data, status=status.HTTP_201_CREATED)


class RefundApi(APIView):
    """Finance staff: refund part or all of what was paid on a bill, with a reason (never more than was paid,
    never on a cancelled bill, never twice for one request_key)."""

    @extend_schema(operation_id="payments_refund", request=RefundInput, responses={201: RefundOutput, **PROBLEMS})
    def post(self, request, public_id):
        check_may_refund(request.user)
        invoice = _invoice(request, public_id)
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_request(invoice=invoice, by=request.user, **data.validated_data)
        return Response(RefundOutput(refund).data, status=status.HTTP_201_CREATED)


# --- Medical insurance (医保) linked by the patient ----------------------------------------------------------------

class InsurancePlanListApi(APIView):
    """The insurance plans a patient may link."""

    @extend_schema(operation_id="payments_insurance_plans", responses=PlanOutput(many=True))
    def get(self, request):
        return Response(PlanOutput(selectors.plans_offered(), many=True).data)


class CoverageListApi(APIView):
    """GET: each person on my family list with their linked insurance. POST: link a plan to one of them (the
    insurer checks the number; the same number again answers the same coverage, 200; a new one answers 201)."""

    @extend_schema(operation_id="payments_coverages", responses=InsuredPersonOutput(many=True))
    def get(self, request):
        people = selectors.coverages_by_person(user=request.user)
        return Response(InsuredPersonOutput([{"patient": person, "insurance_number": person.insurance_number,
                                              "coverages": coverages} for person, coverages in people], many=True).data)

    @extend_schema(operation_id="payments_coverage_link", request=CoverageLinkInput,
                   responses={200: CoverageOutput, 201: CoverageOutput, **PROBLEMS})
    def post(self, request):
        data = CoverageLinkInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        patient = selectors.person_get(user=request.user, public_id=values["patient"])
        plan = selectors.plans_offered().filter(code=values["plan"]).first()
        errors = {}
        if patient is None:
            errors["patient"] = [_("Choose one of the people on your family list.")]
        if plan is None:
            errors["plan"] = [_("Choose one of the plans offered.")]
        if errors:
            raise ValidationFailed(errors=errors)
        before = set(patient.coverages.values_list("pk", flat=True))
        coverage = services.coverage_link(patient=patient, plan=plan, member_number=values["member_number"],
                                          by=request.user)
        return Response(CoverageOutput(coverage).data,
                        status=status.HTTP_200_OK if coverage.pk in before else status.HTTP_201_CREATED)


class CoverageUnlinkApi(APIView):
    """End a linked coverage today (it stays in the history). 404 unless it is of someone on my family list."""

    @extend_schema(operation_id="payments_coverage_unlink", request=None, responses={200: CoverageOutput, **PROBLEMS})
    def post(self, request, public_id):
        coverage = selectors.coverage_get(user=request.user, public_id=public_id)
        if coverage is None:
            raise NotFound(_("We could not find this insurance."))
        return Response(CoverageOutput(services.coverage_unlink(coverage=coverage, by=request.user)).data)
