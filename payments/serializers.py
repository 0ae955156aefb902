from rest_framework import serializers

from payments.models import InvoiceStatus, PaymentMethod
from payments.selectors import balance_of


class PatientRef(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()


class InvoiceOutput(serializers.Serializer):
    """A bill with its balance, summed from its lines, its claim and the ledger's events."""

    public_id = serializers.UUIDField()
    number = serializers.CharField(allow_null=True)
    patient = PatientRef()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    source = serializers.CharField()
    description = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.SerializerMethodField()
    insurer_share = serializers.SerializerMethodField()
    patient_due = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()
    refunded = serializers.SerializerMethodField()
    outstanding = serializers.SerializerMethodField()
    pay_by = serializers.DateTimeField(allow_null=True)
    issued_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)

    def _balance(self, invoice):
        cached = getattr(invoice, "_balance_cache", None)
        if cached is None:
            cached = invoice._balance_cache = balance_of(invoice)
        return cached

    def get_total(self, invoice) -> str:
        return str(self._balance(invoice).total)

    def get_insurer_share(self, invoice) -> str:
        return str(self._balance(invoice).insurer_due)

    def get_patient_due(self, invoice) -> str:
        return str(self._balance(invoice).patient_due)

    def get_paid(self, invoice) -> str:
        return str(self._balance(invoice).captured)

    def get_refunded(self, invoice) -> str:
        return str(self._balance(invoice).refunded)

    def get_outstanding(self, invoice) -> str:
        return str(self._balance(invoice).outstanding_for(invoice.status))


class LineOutput(serializers.Serializer):
    position = serializers.IntegerField()
    category = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    insurer_share = serializers.DecimalField(max_digits=12, decimal_places=2)
    patient_share = serializers.DecimalField(max_digits=12, decimal_places=2)


class PaymentOutput(serializers.Serializer):
    public_id = serializers.UUIDField()
    reference = serializers.CharField()
    provider = serializers.CharField()
    method = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    redirect_url = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ClaimOutput(serializers.Serializer):
    insurer_share = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    message = serializers.CharField()


class InvoiceDetailOutput(InvoiceOutput):
    lines = LineOutput(many=True, source="lines.all")
    payments = PaymentOutput(many=True, source="payments.all")
    claim = serializers.SerializerMethodField()

    def get_claim(self, invoice) -> dict | None:
        claim = getattr(invoice, "claim", None) if hasattr(invoice, "claim") else None
        return ClaimOutput(claim).data if claim is not None else None


class CheckoutInput(serializers.Serializer):
    idempotency_key = serializers.CharField(min_length=8, max_length=100)
    return_path = serializers.RegexField(r"^/(?!/)[^\s]*$", max_length=300, required=False,
                                         help_text="Path on this site the payer comes back to (default /).")
    capture = serializers.BooleanField(default=True, help_text="false: pre-authorise only (预授权).")


class CheckoutOutput(serializers.Serializer):
    payment = PaymentOutput()
    redirect_url = serializers.CharField(source="payment.redirect_url")


class DeskPaymentInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=[PaymentMethod.CASH, PaymentMethod.CARD])
    idempotency_key = serializers.CharField(min_length=8, max_length=100)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)


class RefundInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField(max_length=300)
    request_key = serializers.CharField(min_length=8, max_length=100)


class RefundOutput(serializers.Serializer):
    public_id = serializers.UUIDField()
    reference = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    automatic = serializers.BooleanField()
    created_at = serializers.DateTimeField()


# --- Medical insurance linked by patients ----------------------------------------------------------------------------

class PlanOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CoverageOutput(serializers.Serializer):
    public_id = serializers.UUIDField()
    plan = PlanOutput()
    member_number = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)


class InsuredPersonOutput(serializers.Serializer):
    """A person on my family list, the insurance number in their details, and their coverages not ended."""

    patient = PatientRef()
    insurance_number = serializers.CharField(help_text="From the person's details; may be empty.")
    coverages = CoverageOutput(many=True)


class CoverageLinkInput(serializers.Serializer):
    patient = serializers.UUIDField(help_text="public_id of a person on my family list.")
    plan = serializers.CharField(max_length=40, help_text="code of an offered plan (GET insurance-plans).")
    member_number = serializers.CharField(max_length=60, allow_blank=True)
