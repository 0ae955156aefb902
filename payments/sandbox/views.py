"""The hosted checkout page of the sandbox provider, /sandbox-pay/<provider_reference>/.

Like a real provider's page it needs no sign-in to the portal: whoever holds the (unguessable) link can pay.
It has no scripts at all; three submit buttons do everything, so it works by keyboard and on any phone.
"""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError
from payments.sandbox import services
from payments.sandbox.models import CheckoutStatus, SandboxCheckout, Simulate


@never_cache
@require_http_methods(["GET", "POST"])
def checkout_page(request: HttpRequest, provider_reference: str) -> HttpResponse:
    if "sandbox" not in settings.PAYMENT_PROVIDERS:
        raise Http404
    checkout = SandboxCheckout.objects.filter(provider_reference=provider_reference).first()
    if checkout is None:
        raise Http404
    simulate = request.POST.get("simulate", request.GET.get("simulate", ""))
    error = None
    if request.method == "POST":
        try:
            checkout = services.checkout_act(provider_reference=provider_reference,
                                             action=request.POST.get("action", ""), simulate=simulate)
        except ApplicationError as exc:
            error = exc
        else:
            return redirect(services.return_url_for(checkout))
    status = 400 if error is not None and error.http_status == 400 else 200
    return render(request, "payments_sandbox/checkout.html", {
        "checkout": checkout,
        "expired": services.checkout_expired(checkout),
        "open": checkout.status == CheckoutStatus.OPEN and not services.checkout_expired(checkout),
        "return_url": services.return_url_for(checkout),
        "simulate": simulate if simulate in Simulate.values else "",
        "simulate_label": Simulate(simulate).label if simulate in Simulate.values and simulate else "",
        "error": error,
    }, status=status)
