"""The OpenAPI document: valid OpenAPI 3.1, describing every operation of the API,
its errors as problem details."""

from openapi_spec_validator import validate


def test_the_document_is_valid_openapi_3_1(client, app):
    response = client.get("/api/v1/openapi.json")  # public: no token needed
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_it_describes_every_operation_and_its_problems(client, app):
    document = client.get("/api/v1/openapi.json").json
    described = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.show_openapi":
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in described, (path, method)
    assert document["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for operations in document["paths"].values():
        for operation in operations.values():
            for status in ("401", "404", "422"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"]
    schemas = document["components"]["schemas"]
    assert "errors" in schemas["ProblemDetails"]["properties"]
    assert "understood" in schemas["Reopen"]["required"]
