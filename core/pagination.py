"""One page of a list API: ``?limit=&offset=``, answered as ``{count, next, previous, results}``.

DRF's LimitOffsetPagination reads ``limit=abc`` or ``offset=-3`` as "no value" and answers a page anyway, so a
client's mistake went unnoticed (found by the API fuzzer, tests/fuzz/). Here either is refused with a 400 naming
the field, like any other invalid input.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class Page(LimitOffsetPagination):
    max_limit = 200

    def _number(self, request, name: str, *, minimum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < minimum or str(value) != raw.strip().lstrip("+"):
            raise ValidationError({name: [_("Enter a whole number of at least %(minimum)d.") % {"minimum": minimum}]})
        return value

    def get_limit(self, request):
        limit = self._number(request, self.limit_query_param, minimum=1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return self._number(request, self.offset_query_param, minimum=0) or 0

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            minimum = 1 if parameter["name"] == self.limit_query_param else 0
            parameter["schema"]["minimum"] = minimum
            if minimum:
                parameter["schema"]["maximum"] = self.max_limit
        return parameters
