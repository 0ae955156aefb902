from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import NotFound, ValidationFailed
from records import selectors, services
from records.forms import FamilyMemberForm, SignUpForm
from records.models import Relationship


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.patient_sign_up(
                name=data["name"], phone=data["phone"], email=data["email"], password=data["password1"],
                national_id=data["national_id"], sex=data["sex"] or None, date_of_birth=data["date_of_birth"],
            )
        except ValidationFailed as exc:
            form.apply_service_errors(exc, renames={"password": "password1"})
        else:
            login(request, user, backend="accounts.backends.PhoneOrEmailBackend")
            messages.success(request, _("Welcome, %(name)s. Your account is ready.") % {"name": user.name})
            return redirect("core:home")
    return render(request, "records/signup.html", {"form": form})


def _family_member_or_404(request, public_id):
    try:
        return selectors.access_family_member(account=request.user, public_id=public_id)
    except NotFound:
        raise Http404 from None


def _details(form, *, exclude=None):
    data = form.cleaned_data
    return services.patient_details_check(
        name=data["name"], sex=data["sex"] or None, date_of_birth=data["date_of_birth"], phone=data["phone"],
        national_id=data["national_id"], insurance_number=data["insurance_number"], exclude=exclude,
    )


@login_required
def family_list(request):
    members = selectors.family_member_list(account=request.user)
    return render(request, "records/family_list.html", {"members": members})


@login_required
@require_http_methods(["GET", "POST"])
def family_add(request):
    form = FamilyMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.family_member_add(
                account=request.user, relationship=form.cleaned_data["relationship"],
                is_guardian=form.cleaned_data["is_guardian"], details=_details(form),
            )
        except ValidationFailed as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("%(name)s has been added to your list.") % {"name": member.patient.name})
            return redirect("records:family")
    return render(request, "records/family_form.html", {"form": form, "adding": True})


@login_required
@require_http_methods(["GET", "POST"])
def family_edit(request, public_id):
    member = _family_member_or_404(request, public_id)
    patient = member.patient
    own_details = not patient.account_id or patient.account_id == request.user.pk
    initial = {"relationship": member.relationship, "is_guardian": member.is_guardian, "name": patient.name,
               "sex": patient.sex, "date_of_birth": patient.date_of_birth, "phone": patient.phone,
               "insurance_number": patient.insurance_number}
    form = FamilyMemberForm(request.POST or None, initial=initial)
    if member.relationship == Relationship.SELF:
        # 'Myself' is not a choice a person may pick, so offer it (fixed) on their own entry only;
        # without it the disabled field fails validation and nobody could save their own details.
        form.fields["relationship"].choices = [(Relationship.SELF, Relationship.SELF.label)]
        form.fields["relationship"].disabled = True
        form.fields["is_guardian"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            details = _details(form, exclude=patient) if own_details else None
            services.family_member_update(member=member, relationship=form.cleaned_data["relationship"],
                                          is_guardian=form.cleaned_data["is_guardian"], details=details)
        except ValidationFailed as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("The details of %(name)s have been saved.") % {"name": patient.name})
            return redirect("records:family")
    return render(request, "records/family_form.html",
                  {"form": form, "member": member, "adding": False, "own_details": own_details})


@login_required
@require_http_methods(["GET", "POST"])
def family_remove(request, public_id):
    member = _family_member_or_404(request, public_id)
    if request.method == "POST":
        try:
            services.family_member_remove(member=member)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s has been removed from your list.") % {"name": member.patient.name})
        return redirect("records:family")
    return render(request, "records/family_confirm_remove.html", {"member": member})
