"""Payment pages (缴费): the patient's bills (账单) for everyone on their family list, one bill with the insurance split,
paying it through the provider's checkout and coming back, the receipt PDF, the pharmacy number after paying for
medicines; the front desk's counter (cash or card).

Thin: reads through payments.selectors (which decide whose bills a user sees), writes through payments.services; a
refusal (ApplicationError) is shown as a message and changes nothing. The return page shows what the ledger says,
never what the provider's redirect claims: while the payment is still open or pending it polls the bill's JSON
status (static/js/payment-status.js) and offers a reload link.
"""

import contextlib
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Role
from appointments.selectors import access_appointment, patient_search
from core.errors import ApplicationError, ValidationFailed
from payments import receipts, selectors, services
from payments.models import (
    LIVE_PAYMENT_STATUSES,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from payments.pharmacy import has_medicines, pharmacy_for_invoice
from records.models import Patient

# What the return page says of the latest payment attempt; "paid" and "failed" are final, the rest are polled.
SETTLED = {PaymentStatus.CAPTURED: "paid", PaymentStatus.AUTHORISED: "authorised", PaymentStatus.FAILED: "failed",
           PaymentStatus.CANCELLED: "failed", PaymentStatus.EXPIRED: "failed"}


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


def _invoice_or_404(request: HttpRequest, public_id) -> Invoice:
    invoice = selectors.invoice_get(user=request.user, public_id=_uuid(public_id))
    if invoice is None:
        raise Http404
    return invoice


def _is_desk(user) -> bool:
    return user.is_authenticated and (user.has_role(Role.FRONT_DESK) or user.is_superuser)


def _latest_payment(invoice: Invoice) -> Payment | None:
    return invoice.payments.order_by("-created_at", "-id").first()


def payment_state(invoice: Invoice, payment: Payment | None) -> str:
    """paid / authorised / failed / pending / none: what the ledger says of this bill and its latest attempt."""
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_REFUNDED, InvoiceStatus.REFUNDED):
        return "paid"
    if payment is None:
        return "none"
    return SETTLED.get(payment.status, "pending")


# --- The patient's bills ---------------------------------------------------------------------------------

@login_required
def bill_list(request: HttpRequest) -> HttpResponse:
    """My bills (账单): to pay first, then paid and past, for everyone on my family list."""
    if _is_desk(request.user) and not request.user.has_role(Role.PATIENT):
        return redirect("payments:desk")
    invoices = list(selectors.invoice_list(user=request.user)[:200])
    for invoice in invoices:
        invoice.balance = selectors.balance_of(invoice)
        invoice.due = invoice.balance.outstanding_for(invoice.status)
    to_pay = [i for i in invoices if i.status == InvoiceStatus.ISSUED and i.due > 0]
    done = [i for i in invoices if i not in to_pay]
    return render(request, "payments/bills.html", {"to_pay": to_pay, "done": done})


def _invoice_context(request: HttpRequest, invoice: Invoice) -> dict:
    balance = selectors.invoice_balance(invoice=invoice)
    payment = _latest_payment(invoice)
    due = balance.outstanding_for(invoice.status)
    state = payment_state(invoice, payment)
    claim = getattr(invoice, "claim", None)  # the reverse one-to-one raises an AttributeError when there is none
    return {
        "invoice": invoice, "lines": list(invoice.lines.all()), "balance": balance, "due": due,
        "payment": payment, "state": state,
        "can_pay": invoice.status == InvoiceStatus.ISSUED and due > 0 and state != "pending",
        "pay_key": uuid.uuid4().hex,
        "paying": payment is not None and payment.status in LIVE_PAYMENT_STATUSES,
        "plan": invoice.coverage.plan if invoice.coverage_id else None,
        "claim": claim,
        "has_receipt": balance.captured > 0,
        "pharmacy": pharmacy_for_invoice(invoice=invoice),
        "medicines": has_medicines(invoice),
        "appointment_bill": invoice.source == InvoiceSource.APPOINTMENT,
        "status_url": reverse("payments:status", args=[invoice.public_id]),
    }


@never_cache
@login_required
def bill_detail(request: HttpRequest, public_id) -> HttpResponse:
    """One bill: each line with what insurance pays and what you pay, the totals, the Pay button, the payments,
    the receipt, and after paying for medicines the pharmacy window and how many wait there."""
    invoice = _invoice_or_404(request, public_id)
    return render(request, "payments/bill.html", _invoice_context(request, invoice))


@never_cache
@login_required
def bill_return(request: HttpRequest, public_id) -> HttpResponse:
    """Where the provider sends the payer back: the bill as the ledger has it now (paid, failed, or still being
    confirmed, with the status polled until it settles)."""
    invoice = _invoice_or_404(request, public_id)
    context = _invoice_context(request, invoice)
    context["returning"] = True
    return render(request, "payments/bill.html", context)


@never_cache
@login_required
@require_GET
def bill_status(request: HttpRequest, public_id) -> JsonResponse:
    """The bill's state as JSON, for the return page's poll: {"state", "invoice_status", "payment_status"}."""
    invoice = _invoice_or_404(request, public_id)
    payment = _latest_payment(invoice)
    return JsonResponse({"state": payment_state(invoice, payment), "invoice_status": invoice.status,
                         "payment_status": payment.status if payment else None})


def _base_url(request: HttpRequest) -> str | None:
    """Where the provider's notifications reach us: PAYMENTS_BASE_URL when set (behind a proxy), else this site."""
    return None if getattr(settings, "PAYMENTS_BASE_URL", "") else request.build_absolute_uri("/")


@login_required
@require_POST
def bill_pay(request: HttpRequest, public_id) -> HttpResponse:
    """Start paying the patient's share: the form's key makes two taps (or two tabs) one payment; the payer is sent
    to the provider's checkout, or back to the bill when the provider could not be reached (pending)."""
    invoice = _invoice_or_404(request, public_id)
    return_url = request.build_absolute_uri(reverse("payments:return", args=[invoice.public_id]))
    try:
        payment = services.checkout_start(invoice=invoice, by=request.user, idempotency_key=request.POST.get("key", ""),
                                          return_url=return_url, base_url=_base_url(request))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("payments:bill", public_id=invoice.public_id)
    if payment.status == PaymentStatus.OPEN and payment.redirect_url:
        return redirect(payment.redirect_url)
    if payment.status == PaymentStatus.PENDING:
        messages.warning(request, _("The payment service did not answer in time. Your payment is being checked; "
                                    "do not pay again. This page updates when it is confirmed."))
    return redirect("payments:return", public_id=invoice.public_id)


@login_required
def receipt_download(request: HttpRequest, public_id) -> HttpResponse:
    """The receipt PDF of a bill with money paid, in the reader's language."""
    invoice = _invoice_or_404(request, public_id)
    if selectors.invoice_balance(invoice=invoice).captured <= 0:
        messages.error(request, _("There is no receipt yet: nothing has been paid on this bill."))
        return redirect("payments:bill", public_id=invoice.public_id)
    try:
        content = receipts.receipt_pdf(receipt=receipts.receipt_for_invoice(invoice=invoice))
    except receipts.PdfUnavailable:
        return render(request, "payments/receipt_unavailable.html", {"invoice": invoice}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{invoice.number}.pdf"'
    return response


@login_required
def appointment_pay(request: HttpRequest, public_id) -> HttpResponse:
    """The registration fee of a held booking (appointments.payment_link): its bill, made now if the booking's
    signal has not made it yet."""
    try:
        appointment = access_appointment(user=request.user, public_id=public_id)
    except ApplicationError:
        raise Http404 from None
    invoice = selectors.invoice_for_source(source=InvoiceSource.APPOINTMENT, source_ref=appointment.public_id)
    if invoice is None:
        invoice = services.invoice_for_appointment(appointment=appointment)
    if invoice is None:
        return redirect(reverse("appointments:mine") + f"#a-{appointment.public_id}")
    return redirect("payments:bill", public_id=invoice.public_id)


def appointment_pay_url(*, appointment) -> str:
    """appointments.payment_link resolver (registered in PaymentsConfig.ready)."""
    return reverse("payments:appointment_pay", args=[appointment.public_id])


# --- Medical insurance (医保) linked by the patient ------------------------------------------------------

class CoverageLinkForm(forms.Form):
    """Whose insurance, which plan, the member number. The choices are the user's family list and the plans
    offered; the rules (number format, the insurer's check, a number already linked) are the service's."""

    person = forms.ChoiceField(label=gettext_lazy("Who is insured"))
    plan = forms.ChoiceField(label=gettext_lazy("Insurance plan"))
    member_number = forms.CharField(label=gettext_lazy("Member number"), max_length=60,
                                    help_text=gettext_lazy("As printed on the medical insurance card (医保卡)."),
                                    widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}))
    bill = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, people, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(str(p.public_id), p.name) for p in people]
        self.fields["plan"].choices = [(p.code, p.name) for p in plans]


def _insurance_page(request: HttpRequest, form: CoverageLinkForm, people, status: int = 200) -> HttpResponse:
    return render(request, "payments/insurance.html", {"form": form, "people": people}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def insurance(request: HttpRequest) -> HttpResponse:
    """Medical insurance (医保): each person on my family list with their linked plans, and a form to link one
    (the person and the member number prefilled from ?person=, the number from their details when given)."""
    people = selectors.coverages_by_person(user=request.user)
    plans = list(selectors.plans_offered())
    patients = [person for person, _coverages in people]
    if request.method == "POST":
        form = CoverageLinkForm(request.POST, people=patients, plans=plans)
        if form.is_valid():
            data = form.cleaned_data
            patient = next(p for p in patients if str(p.public_id) == data["person"])
            plan = next(p for p in plans if p.code == data["plan"])
            try:
                coverage = services.coverage_link(patient=patient, plan=plan, member_number=data["member_number"],
                                                  by=request.user)
            except ValidationFailed as error:
                for field, field_errors in (error.errors or {}).items():
                    for message in field_errors:
                        form.add_error(field if field in form.fields else None, message)
                if not error.errors:
                    form.add_error(None, error.message)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("%(plan)s is linked for %(name)s. Bills still to pay now show what "
                                            "insurance pays.") % {"plan": coverage.plan.name, "name": patient.name})
                bill = data.get("bill") and selectors.invoice_get(user=request.user, public_id=data["bill"])
                if bill:
                    return redirect("payments:bill", public_id=bill.public_id)
                return redirect("payments:insurance")
        return _insurance_page(request, form, people, status=400)
    bill = None
    with contextlib.suppress(ValueError):
        bill = selectors.invoice_get(user=request.user, public_id=uuid.UUID(request.GET.get("bill", "")))
    wanted = request.GET.get("person") or (str(bill.patient.public_id) if bill else "")
    chosen = next((p for p in patients if str(p.public_id) == wanted), patients[0] if patients else None)
    initial = {"person": str(chosen.public_id) if chosen else "",
               "member_number": chosen.insurance_number if chosen else "",
               "plan": plans[0].code if len(plans) == 1 else "", "bill": bill.public_id if bill else None}
    return _insurance_page(request, CoverageLinkForm(initial=initial, people=patients, plans=plans), people)


@login_required
@require_POST
def insurance_unlink(request: HttpRequest, public_id) -> HttpResponse:
    """End a linked coverage today (it stays in the history; today's bills may still use it)."""
    coverage = selectors.coverage_get(user=request.user, public_id=_uuid(public_id))
    if coverage is None:
        raise Http404
    try:
        services.coverage_unlink(coverage=coverage, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(plan)s of %(name)s is unlinked. It ends today.")
                         % {"plan": coverage.plan.name, "name": coverage.patient.name})
    return redirect("payments:insurance")


# --- The front desk ---------------------------------------------------------------------------------------

def _desk_only(user) -> None:
    if not _is_desk(user):
        raise PermissionDenied


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """The counter: find a patient (name, pinyin initials, phone, MRN) and their bills to pay."""
    _desk_only(request.user)
    query = (request.GET.get("q") or "").strip()[:50]
    results = list(patient_search(query=query)) if query else None
    return render(request, "payments/desk.html", {"query": query, "results": results})


@login_required
def desk_patient(request: HttpRequest, public_id) -> HttpResponse:
    """One patient's outstanding bills, each with a form to record cash or card taken at the counter."""
    _desk_only(request.user)
    patient = Patient.objects.filter(public_id=_uuid(public_id)).first()
    if patient is None:
        raise Http404
    invoices = list(selectors.invoice_list(user=request.user, patient_public_id=patient.public_id))
    outstanding, recent = [], []
    for invoice in invoices:
        invoice.balance = selectors.balance_of(invoice)
        invoice.due = invoice.balance.outstanding_for(invoice.status)
        (outstanding if invoice.status == InvoiceStatus.ISSUED and invoice.due > 0 else recent).append(invoice)
    return render(request, "payments/desk_patient.html", {
        "patient": patient, "outstanding": outstanding, "recent": recent[:10], "key": uuid.uuid4().hex,
        "methods": [(PaymentMethod.CASH, PaymentMethod.CASH.label), (PaymentMethod.CARD, PaymentMethod.CARD.label)]})


@login_required
@require_http_methods(["POST"])
def desk_record(request: HttpRequest, public_id) -> HttpResponse:
    """Record cash or card for a bill (payments.services.payment_desk_record; the form's key records once)."""
    _desk_only(request.user)
    invoice = _invoice_or_404(request, public_id)
    try:
        payment = services.payment_desk_record(invoice=invoice, method=request.POST.get("method", ""), by=request.user,
                                               idempotency_key=request.POST.get("key", ""))
    except ApplicationError as error:
        detail = "; ".join(str(m) for ms in (error.errors or {}).values() for m in ms) or error.message
        messages.error(request, detail)
    else:
        messages.success(request, _("¥%(amount)s received by %(method)s for bill %(number)s at %(time)s.") % {
            "amount": payment.amount, "method": payment.get_method_display().lower(), "number": invoice.number,
            "time": timezone.localtime(payment.created_at).strftime("%H:%M")})
    return redirect("payments:desk_patient", public_id=invoice.patient.public_id)
