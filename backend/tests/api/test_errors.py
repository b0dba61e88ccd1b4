import json

from app.api.errors import ErrorResponse


def test_an_error_quoting_a_lone_surrogate_still_renders_as_json() -> None:
    body = ErrorResponse({"error": "X", "detail": "node '\ud800' is unknown"}, status_code=422).body
    assert json.loads(body)["detail"] == "node '\ud800' is unknown"


def test_ordinary_error_text_is_written_as_utf8() -> None:
    body = ErrorResponse({"detail": "prix inférieur à 5 €"}, status_code=422).body
    assert "inférieur à 5 €".encode() in body
