"""What every training view module shares: the OpenAPI tag and the hours formats."""

TAGS = ["training"]
HOURS = {"max_digits": 5, "decimal_places": 2}
# Hours as strings with at most two decimals; the patterns state the ranges too (0.25-100 and 0-100).
CE_HOURS_PATTERN = r"^(100(\.0{1,2})?|[1-9]\d?(\.\d{1,2})?|0\.(2[5-9]|[3-9]\d?))$"
ACCEPTED_HOURS_PATTERN = r"^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$"
