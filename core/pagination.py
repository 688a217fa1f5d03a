from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) == "":
            raise ValidationError({self.page_query_param: ["Use a whole number from 1."]})
        return super().get_page_number(request, paginator)

    def get_page_size(self, request):
        # Out-of-range sizes are refused rather than silently clamped: the client learns the limit.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [f"Use a whole number from 1 to {self.max_page_size}."]})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        # Declare the bounds so clients (and fuzzers) know them; a page past the end is a documented 404.
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
