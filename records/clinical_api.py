"""The clinical record over the API (/api/v1/records/...). Thin: every view asks records.access first
(which writes the audit row), then calls a selector or a service. One class per operation."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from core.errors import PermissionRefused, ValidationFailed
from core.openapi import ProblemOutput
from records import fhir, selectors, services
from records.access import (
    AuditContext,
    Purpose,
    Scope,
    access_log_write,
    access_patient,
    access_patient_record,
    acting_role,
    is_own_or_guarded,
)
from records.coding import icd10_search
from records.errors import RecordNotFound
from records.models import AccessAction, Drug, Encounter, EncounterStatus, Order, Patient, Report
from records.serializers import (
    AccessLogOutput,
    AllergyInput,
    AllergyOutput,
    AmendInput,
    BreakGlassInput,
    BreakGlassOutput,
    ChartOutput,
    CsvImportInput,
    DiagnosisInput,
    DiagnosisOutput,
    DrugOutput,
    EncounterCreateInput,
    EncounterDetailOutput,
    EncounterNoteInput,
    EncounterOutput,
    Icd10Output,
    ImportSummaryOutput,
    OrderInput,
    OrderOutput,
    PatientOutput,
    PrescriptionInput,
    PrescriptionOutput,
    ProblemEntryOutput,
    ProblemInput,
    ReportInput,
    ReportOutput,
    ResultInput,
    ResultOutput,
)
from records.uploads import REPORT_CONTENT_TYPES


def _audit(request) -> AuditContext:
    return AuditContext.from_request(request)


def _patient(request, public_id, *, object_type: str, write: bool = False, scope: str = Scope.CLINICAL,
             purpose: str = Purpose.CARE) -> Patient:
    return access_patient(user=request.user, public_id=public_id, purpose=purpose, request=request, scope=scope,
                          write=write, object_type=object_type)


def _encounter(request, public_id, *, write: bool = False, object_type: str = "encounter") -> Encounter:
    """The encounter, through the access check of its patient. A draft is visible to its author only;
    to everyone else it does not exist (and an unknown id logs nothing: there is no patient to log against)."""
    encounter = selectors.encounter_get(public_id=public_id)
    if encounter is None or (encounter.status == EncounterStatus.DRAFT and encounter.author_id != request.user.pk):
        raise RecordNotFound()
    access_patient_record(user=request.user, patient=encounter.patient, purpose=Purpose.CARE, request=request,
                          write=write, object_type=object_type, object_id=str(encounter.public_id))
    return encounter


def _owned(model, public_id, patient: Patient):
    """A row of `patient`'s record by its public id, or a validation error naming the field."""
    if public_id is None:
        return None
    row = model.objects.filter(public_id=public_id, patient=patient).first()
    if row is None:
        raise ValidationFailed(errors={model._meta.model_name: [_("Not found in this patient's record.")]})
    return row


class PatientDemographicsApi(APIView):
    """The patient index entry (name, sex, date of birth, contacts): any member of staff, the patient, a guardian."""

    @extend_schema(responses=PatientOutput)
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="patient", scope=Scope.DEMOGRAPHICS,
                           purpose=Purpose.REGISTRATION)
        return Response(PatientOutput(patient).data)


class ChartApi(APIView):
    """The chart on one screen: allergies, active problems, notes, current medicines, results, reports, open orders."""

    @extend_schema(responses=ChartOutput)
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="chart")
        viewer = request.user if request.user.has_role(Role.DOCTOR) else None
        return Response(ChartOutput(selectors.patient_chart(patient=patient, viewer=viewer)).data)


class EncounterListApi(APIView):
    @extend_schema(responses=EncounterOutput(many=True))
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="encounters")
        viewer = request.user if request.user.has_role(Role.DOCTOR) else None
        return Response(EncounterOutput(selectors.encounter_list(patient=patient, viewer=viewer), many=True).data)

    @extend_schema(request=EncounterCreateInput, responses={201: EncounterDetailOutput})
    def post(self, request, public_id):
        patient = _patient(request, public_id, object_type="encounter", write=True)
        data = EncounterCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = dict(data.validated_data)
        appointment = note.pop("appointment", None)
        encounter = services.encounter_create(patient=patient, author=request.user, appointment_public_id=appointment,
                                              audit=_audit(request), **note)
        return Response(EncounterDetailOutput(encounter).data, status=status.HTTP_201_CREATED)


class EncounterDetailApi(APIView):
    @extend_schema(responses=EncounterDetailOutput)
    def get(self, request, public_id):
        return Response(EncounterDetailOutput(_encounter(request, public_id)).data)

    @extend_schema(request=EncounterNoteInput, responses={200: EncounterDetailOutput, 409: ProblemOutput})  # 409: signed
    def patch(self, request, public_id):
        encounter = _encounter(request, public_id, write=True)
        data = EncounterNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        encounter = services.encounter_update(encounter=encounter, by=request.user, audit=_audit(request),
                                              **data.validated_data)
        return Response(EncounterDetailOutput(selectors.encounter_get(public_id=encounter.public_id)).data)


class EncounterSignApi(APIView):
    @extend_schema(request=None, responses={200: EncounterDetailOutput, 409: ProblemOutput})  # 409: signed already
    def post(self, request, public_id):
        encounter = services.encounter_sign(encounter=_encounter(request, public_id, write=True), by=request.user,
                                            audit=_audit(request))
        return Response(EncounterDetailOutput(selectors.encounter_get(public_id=encounter.public_id)).data)


class EncounterAmendApi(APIView):
    """Open an amendment of a signed note: a new draft version; the signed one stays as it was."""

    @extend_schema(request=AmendInput, responses={201: EncounterDetailOutput, 409: ProblemOutput})  # 409: not signed, superseded
    def post(self, request, public_id):
        encounter = _encounter(request, public_id, write=True)
        data = AmendInput(data=request.data)
        data.is_valid(raise_exception=True)
        amendment = services.encounter_amend(encounter=encounter, by=request.user, reason=data.validated_data["reason"],
                                             audit=_audit(request))
        return Response(EncounterDetailOutput(selectors.encounter_get(public_id=amendment.public_id)).data,
                        status=status.HTTP_201_CREATED)


class EncounterVersionsApi(APIView):
    @extend_schema(responses=EncounterDetailOutput(many=True))
    def get(self, request, public_id):
        encounter = _encounter(request, public_id)
        versions = [v for v in selectors.encounter_versions(encounter=encounter)
                    if v.status == EncounterStatus.SIGNED or v.author_id == request.user.pk]
        return Response(EncounterDetailOutput(versions, many=True).data)


class DiagnosisAddApi(APIView):
    @extend_schema(request=DiagnosisInput, responses={201: DiagnosisOutput, 409: ProblemOutput})
    def post(self, request, public_id):
        encounter = _encounter(request, public_id, write=True, object_type="diagnosis")
        data = DiagnosisInput(data=request.data)
        data.is_valid(raise_exception=True)
        diagnosis = services.diagnosis_add(encounter=encounter, by=request.user, audit=_audit(request), **data.validated_data)
        return Response(DiagnosisOutput(diagnosis).data, status=status.HTTP_201_CREATED)


class PrescriptionAddApi(APIView):
    """Prescribe from the formulary. 409 allergy_conflict if the drug matches a recorded allergy and no reason is given."""

    @extend_schema(request=PrescriptionInput, responses={201: PrescriptionOutput, 409: ProblemOutput})  # allergy_conflict
    def post(self, request, public_id):
        encounter = _encounter(request, public_id, write=True, object_type="prescription")
        data = PrescriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        drug = _drug(values.pop("drug"))
        prescription = services.prescription_create(encounter=encounter, drug=drug, by=request.user, audit=_audit(request),
                                                    **values)
        return Response(PrescriptionOutput(prescription).data, status=status.HTTP_201_CREATED)


def _drug(key: str) -> Drug:
    drug = Drug.objects.filter(code=key).first()
    if drug is None:
        try:
            drug = Drug.objects.filter(public_id=key).first()
        except (DjangoValidationError, ValueError):  # neither a formulary code nor an id
            drug = None
    if drug is None:
        raise ValidationFailed(errors={"drug": [_("This drug is not in the formulary.")]})
    return drug


class AllergyListApi(APIView):
    @extend_schema(responses=AllergyOutput(many=True))
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="allergies")
        return Response(AllergyOutput(patient.allergies.order_by("-is_active", "substance"), many=True).data)

    @extend_schema(request=AllergyInput, responses={201: AllergyOutput})
    def post(self, request, public_id):
        patient = _patient(request, public_id, object_type="allergy", write=True)
        data = AllergyInput(data=request.data)
        data.is_valid(raise_exception=True)
        allergy = services.allergy_record(patient=patient, by=request.user, audit=_audit(request), **data.validated_data)
        return Response(AllergyOutput(allergy).data, status=status.HTTP_201_CREATED)


class ProblemListApi(APIView):
    @extend_schema(responses=ProblemEntryOutput(many=True))
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="problems")
        return Response(ProblemEntryOutput(patient.problems.order_by("status", "-recorded_at"), many=True).data)

    @extend_schema(request=ProblemInput, responses={201: ProblemEntryOutput})
    def post(self, request, public_id):
        patient = _patient(request, public_id, object_type="problem", write=True)
        data = ProblemInput(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_record(patient=patient, by=request.user, audit=_audit(request), **data.validated_data)
        return Response(ProblemEntryOutput(problem).data, status=status.HTTP_201_CREATED)


class OrderListApi(APIView):
    @extend_schema(responses=OrderOutput(many=True))
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="orders")
        return Response(OrderOutput(patient.orders.select_related("encounter").order_by("-ordered_at"), many=True).data)

    @extend_schema(request=OrderInput, responses={201: OrderOutput})
    def post(self, request, public_id):
        patient = _patient(request, public_id, object_type="order", write=True)
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        encounter = _owned(Encounter, values.pop("encounter", None), patient)
        order = services.order_create(patient=patient, by=request.user, encounter=encounter, audit=_audit(request), **values)
        return Response(OrderOutput(order).data, status=status.HTTP_201_CREATED)


class ResultListApi(APIView):
    @extend_schema(responses=ResultOutput(many=True))
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="results")
        results = patient.results.select_related("order").order_by("-observed_at", "loinc_code", "id")
        return Response(ResultOutput(results, many=True).data)

    @extend_schema(request=ResultInput, responses={201: ResultOutput})
    def post(self, request, public_id):
        patient = _patient(request, public_id, object_type="result", write=True)
        data = ResultInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        order = _owned(Order, values.pop("order", None), patient)
        item = services.result_record(patient=patient, by=request.user, order=order, audit=_audit(request), **values)
        return Response(ResultOutput(item).data, status=status.HTTP_201_CREATED)


class ResultImportApi(APIView):
    """Import a lab's CSV file (multipart field ``file``). All or nothing; errors are listed by row."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=CsvImportInput, responses={201: ImportSummaryOutput})
    def post(self, request):
        if not (request.user.has_role(Role.DOCTOR) or request.user.has_role(Role.NURSE)):
            raise PermissionRefused(_("Only doctors and nurses import lab results."))
        data = CsvImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        summary = services.results_import_csv(content=data.validated_data["file"].read(), by=request.user,
                                              audit=_audit(request))
        return Response(ImportSummaryOutput(summary).data, status=status.HTTP_201_CREATED)


class ReportListApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=ReportOutput(many=True))
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="reports")
        return Response(ReportOutput(patient.reports.order_by("-issued_at", "id"), many=True).data)

    @extend_schema(request={"multipart/form-data": ReportInput}, responses={201: ReportOutput, 413: ProblemOutput})
    def post(self, request, public_id):
        patient = _patient(request, public_id, object_type="report", write=True)
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload = values.pop("file", None)
        order = _owned(Order, values.pop("order", None), patient)
        report = services.report_create(
            patient=patient, by=request.user, order=order, audit=_audit(request),
            file_content=upload.read() if upload else None, filename=upload.name if upload else "",
            claimed_type=getattr(upload, "content_type", "") or "", **values)
        return Response(ReportOutput(report).data, status=status.HTTP_201_CREATED)


class ReportFileApi(APIView):
    """The report's document, with the content type found when it was uploaded."""

    # The types an upload is accepted as (records.uploads sniffs the content); the answer carries the one found.
    @extend_schema(responses={(200, content_type): bytes for content_type in REPORT_CONTENT_TYPES})
    def get(self, request, public_id):
        report = Report.objects.select_related("patient").filter(public_id=public_id).first()
        if report is None or not report.file:
            raise RecordNotFound()
        access_patient_record(user=request.user, patient=report.patient, purpose=Purpose.CARE, request=request,
                              object_type="report_file", object_id=str(report.public_id))
        response = FileResponse(report.file.open("rb"), content_type=report.file_content_type, as_attachment=True,
                                filename=f"report-{report.public_id}.{report.file.name.rsplit('.', 1)[-1]}")
        response["X-Content-Type-Options"] = "nosniff"
        return response


class FhirExportApi(APIView):
    """The patient's record as a FHIR R4 Bundle (type collection)."""

    @extend_schema(responses={(200, "application/fhir+json"): dict})
    def get(self, request, public_id):
        patient = _patient(request, public_id, object_type="fhir_bundle", purpose=Purpose.REFERRAL)
        return Response(fhir.patient_bundle(patient), content_type="application/fhir+json")


class FhirImportApi(APIView):
    """Import a FHIR R4 Bundle (a referral from another hospital). Idempotent: posting it again creates nothing.
    Doctors only. A malformed Bundle answers 422 with the problems listed by their path in the Bundle."""

    @extend_schema(request=dict, responses={200: dict, 201: dict, 422: ProblemOutput})  # 422: fhir_invalid, keyed by path
    def post(self, request):
        if not request.user.has_role(Role.DOCTOR):
            raise PermissionRefused(_("Only doctors import records from other hospitals."))
        result = fhir.bundle_import(request.data, by=request.user, audit=_audit(request))
        return Response(result.as_dict(), status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class BreakGlassApi(APIView):
    """Emergency access for a doctor without a care relationship: states the reason, gets time-limited access."""

    @extend_schema(request=BreakGlassInput, responses={201: BreakGlassOutput})
    def post(self, request, public_id):
        try:
            patient = Patient.objects.get(public_id=public_id)
        except Patient.DoesNotExist:
            raise RecordNotFound() from None
        if not request.user.has_role(Role.DOCTOR):
            # Refused like any access to the record, and logged as such.
            access_log_write(user=request.user, role=acting_role(request.user), patient=patient,
                             action=AccessAction.REFUSED, object_type="break_glass", object_id=str(patient.public_id),
                             purpose=Purpose.EMERGENCY, audit=_audit(request))
            if not request.user.is_hospital_staff:
                raise RecordNotFound()
            raise PermissionRefused(_("Only doctors can use emergency access."))
        data = BreakGlassInput(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.break_glass_grant(doctor=request.user, patient=patient, reason=data.validated_data["reason"],
                                           audit=_audit(request))
        return Response(BreakGlassOutput(grant).data, status=status.HTTP_201_CREATED)


class AccessLogApi(APIView):
    """Who has viewed my record: for the patient and their guardians only. Role, department, time and purpose."""

    @extend_schema(responses=AccessLogOutput(many=True))
    def get(self, request, public_id):
        patient = Patient.objects.filter(public_id=public_id).first()
        if patient is None or not is_own_or_guarded(user=request.user, patient=patient):
            raise RecordNotFound()
        return Response(AccessLogOutput(selectors.access_log_for_patient(patient=patient), many=True).data)


class Icd10SearchApi(APIView):
    """ICD-10 codes by code prefix or words of the title, for search as you type. Staff only."""

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses=Icd10Output(many=True))
    def get(self, request):
        if not request.user.is_hospital_staff:
            raise PermissionRefused()
        return Response(Icd10Output(icd10_search(request.query_params.get("q", "")), many=True).data)


class DrugSearchApi(APIView):
    """The formulary, searched by name, generic name or code. Staff only."""

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses=DrugOutput(many=True))
    def get(self, request):
        if not request.user.is_hospital_staff:
            raise PermissionRefused()
        query = (request.query_params.get("q") or "").strip()
        drugs = Drug.objects.filter(is_active=True)
        if query:
            drugs = drugs.filter(Q(name__icontains=query) | Q(generic_name__icontains=query) | Q(code__istartswith=query))
        return Response(DrugOutput(drugs.order_by("name")[:30], many=True).data)
