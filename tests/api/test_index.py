"""api/index.c: the API index and the served contract."""


def test_index_links_resolve(api):
    body = api.get("/v1").json()
    assert body["api_version"] == "v1"
    for link in body["links"].values():
        assert api.get(link["href"]).status_code == 200


def test_served_contract_is_the_repository_yaml(api, spec):
    assert api.get("/openapi.json").json() == spec.doc


def test_every_documented_route_is_served(api, spec):
    uuid0 = "00000000-0000-4000-8000-000000000000"
    samples = {"{id}": {"/v1/districts/{id}": "16051",
                        "/v1/places/{id}": uuid0,
                        "/v1/users/{id}": uuid0}}
    for template, item in spec.doc["paths"].items():
        path = template
        if "{id}" in template:
            path = template.replace("{id}",
                                    samples["{id}"].get(template, uuid0))
        path = path.replace("{name}", "languages").replace(
            "{purpose}", "matching")
        for method in item:
            if method == "parameters":
                continue
            r = api.request(method.upper(), path)
            assert r.json().get("type") != "urn:ch:problem:not-found" or \
                "{id}" in template, (method, template)
