"""Property tests of the Connecting Partners routes with request bodies,
generated from the contract's own request schemas.

A small converter turns the JSON Schema subset the contract uses into
Hypothesis strategies; references to existing records (places,
organisations, taxonomy codes, participants, offers) are drawn from what
the API itself lists or what this module creates. Each example is either a
valid body or a valid body with one mutation (a required member dropped,
an unknown member added, a member of the wrong type). For every route:

- the answer is a status the contract documents for the operation, never
  a 5xx (the `api` client checks both, and the body's schema);
- a mutated body is refused with 422 pointing at the mutated member;
- a 422 always names the fields (errors[]), also for valid bodies the
  database refuses;
- creates with valid bodies succeed at least once over the run."""

import collections
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authutil import ERFURT, bearer, token_for

SETTINGS = settings(
    max_examples=80, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.function_scoped_fixture,
                           HealthCheck.filter_too_much,
                           HealthCheck.data_too_large])

# Text the API must take as it is: any Unicode scalar value except NUL,
# which the API refuses in strings on purpose (422 control_character).
TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


# ------------------------------------------------------------ converter

class Converter:
    """JSON Schema (the contract's subset) to Hypothesis strategies.

    overrides maps a JSON pointer into the body ("*" for any array item)
    to a strategy used for the non-null values at that place: that is how
    valid bodies get ids and codes that exist."""

    def __init__(self, doc, overrides=None):
        self.doc = doc
        self.overrides = overrides or {}

    def deref(self, node):
        while "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), ref
            target = self.doc
            for part in ref[2:].split("/"):
                target = target[part]
            node = dict(target, **{k: v for k, v in node.items()
                                   if k != "$ref"})
        return node

    def types(self, node):
        t = self.deref(node).get("type")
        if t is None:
            return []
        return [t] if isinstance(t, str) else list(t)

    def strategy(self, node, ptr=""):
        node = self.deref(node)
        if "enum" in node:
            return st.sampled_from(node["enum"])
        types = self.types(node)
        if len(types) > 1:
            return st.one_of([self.strategy(dict(node, type=t), ptr)
                              for t in types])
        t = types[0] if types else "string"
        if t == "null":
            return st.none()
        if ptr in self.overrides:
            return self.overrides[ptr]
        if t == "boolean":
            return st.booleans()
        if t == "integer":
            return st.integers(int(node.get("minimum", -2 ** 31)),
                               int(node.get("maximum", 2 ** 31 - 1)))
        if t == "number":
            return st.floats(node.get("minimum"), node.get("maximum"),
                             allow_nan=False, allow_infinity=False)
        if t == "string":
            return self.string(node)
        if t == "array":
            items = self.strategy(node.get("items", {}), ptr + "/*")
            unique = node.get("uniqueItems", False)
            return st.lists(items, min_size=node.get("minItems", 0),
                            max_size=node.get("maxItems", 10),
                            unique_by=canonical if unique else None)
        if t == "object":
            return self.obj(node, ptr)
        raise AssertionError("unsupported schema type %r" % t)

    def string(self, node):
        lo = node.get("minLength", 0)
        hi = node.get("maxLength")
        fmt = node.get("format")
        if fmt == "uuid":
            s = st.uuids().map(str)
        elif fmt == "date":
            s = st.dates().map(lambda d: d.isoformat())
        elif "pattern" in node:
            s = st.from_regex(node["pattern"], fullmatch=True)
        else:
            return st.text(TEXT, min_size=lo, max_size=min(hi or 50, 200))
        return s.filter(lambda v: lo <= len(v) <= (hi or 10 ** 6))

    def obj(self, node, ptr):
        props = node.get("properties", {})
        required = node.get("required", [])
        s = st.fixed_dictionaries(
            {k: self.strategy(v, "%s/%s" % (ptr, k))
             for k, v in props.items() if k in required},
            optional={k: self.strategy(v, "%s/%s" % (ptr, k))
                      for k, v in props.items() if k not in required})
        n = node.get("minProperties", 0)
        return s.filter(lambda d: len(d) >= n) if n else s


def canonical(value):
    return json.dumps(value, sort_keys=True)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) |
    st.text(TEXT, max_size=10),
    lambda inner: st.lists(inner, max_size=3) |
    st.dictionaries(st.text(string.ascii_lowercase, max_size=5), inner,
                    max_size=3),
    max_leaves=5)

WRONG = {
    "null": st.none(),
    "boolean": st.booleans(),
    "integer": st.integers(-10 ** 6, 10 ** 6),
    # Not integral, so never an integer either.
    "number": st.floats(-1e6, 1e6, allow_nan=False).filter(
        lambda f: f != int(f)),
    "string": st.text(TEXT, max_size=8),
    "array": st.lists(st.integers(0, 9), max_size=3),
    "object": st.dictionaries(st.text(string.ascii_lowercase, min_size=1,
                                      max_size=4), st.integers(0, 9),
                              max_size=2),
}


def wrong_type_strategy(conv, node):
    """Values of a JSON type the member's schema does not allow."""
    allowed = set(conv.types(node))
    if "number" in allowed:
        allowed.add("integer")
    node = conv.deref(node)
    if "enum" in node and not allowed:
        allowed = {"string"}
    return st.one_of([s for t, s in WRONG.items() if t not in allowed])


# ------------------------------------------------------------ records

class Refs:
    pass


@pytest.fixture(scope="module")
def refs(api):
    r = Refs()
    r.token = token_for(api, "coordinator", ERFURT)
    r.assistant_token = token_for(api, "assistant", ERFURT)
    h = bearer(r.token)
    r.headers = h

    def codes(name):
        return [t["code"] for t in
                api.get("/v1/taxonomies/" + name).json()["items"]]

    r.categories = codes("activity_categories")
    r.languages = codes("languages")
    r.places = [p["id"] for p in api.get(
        "/v1/places?district=16051&limit=50").json()["items"]]
    r.places += [p["id"] for p in api.get(
        "/v1/places?limit=20").json()["items"]]
    r.staff = [api.get("/v1/me", headers=bearer(t)).json()["user"]["id"]
               for t in (r.token, r.assistant_token)]

    def post(path, body):
        resp = api.request("POST", path, headers=h, json=body)
        assert resp.status_code == 201, (resp.status_code, resp.text)
        return resp.json()["id"]

    def person():
        return post("/v1/participants", {
            "display_name": "Prop P.", "gender": "female",
            "birth_year": 1990,
            "languages": [{"code": "de", "level": "b1"}]})

    def offer(org):
        return post("/v1/offers", {
            "organization_id": org, "title": "Property offer",
            "category": r.categories[0], "languages": ["de"],
            "capacity": 1000, "online": True, "status": "open"})

    r.orgs = [post("/v1/organizations", {"name": "Property Verein %d" % i,
                                         "kind": "other"})
              for i in range(2)]
    r.orgs += [o["id"] for o in api.get(
        "/v1/organizations?district_id=16051&limit=20", headers=h)
        .json()["items"]]
    r.offers = [offer(r.orgs[0]) for _ in range(3)]
    r.people = [person() for _ in range(12)]
    r.target_org = r.orgs[1]
    r.target_offer = offer(r.orgs[1])
    r.target_person = person()
    r.consent_person = person()
    r.target_placements = []
    for _ in range(4):
        r.target_placements.append(post("/v1/placements", {
            "participant_id": person(), "offer_id": r.target_offer}))
    return r


def one_of_ids(ids):
    return st.sampled_from(ids)


def overrides_for(route, r):
    places = one_of_ids(r.places)
    cats = one_of_ids(r.categories)
    langs = one_of_ids(r.languages)
    if route == "org.create":
        return {"/place_id": places,
                "/district_id": st.sampled_from([ERFURT, ERFURT, "16067"])}
    if route in ("offer.create", "offer.patch"):
        return {"/organization_id": one_of_ids(r.orgs), "/place_id": places,
                "/category": cats, "/languages/*": langs}
    if route in ("part.create", "part.patch"):
        return {"/languages/*/code": langs, "/interests/*": cats,
                "/home_place_id": places,
                "/assistant_id": one_of_ids(r.staff)}
    if route == "placement.create":
        return {"/participant_id": one_of_ids(r.people),
                "/offer_id": one_of_ids(r.offers)}
    if route == "org.patch":
        return {"/place_id": places}
    return {}


# ------------------------------------------------------------ routes

# name: (method, path template, the contract's path)
ROUTES = {
    "org.create": ("POST", "/v1/organizations", "/v1/organizations"),
    "offer.create": ("POST", "/v1/offers", "/v1/offers"),
    "part.create": ("POST", "/v1/participants", "/v1/participants"),
    "consent.grant": ("POST", "/v1/participants/{consent_person}/consents",
                      "/v1/participants/{id}/consents"),
    "placement.create": ("POST", "/v1/placements", "/v1/placements"),
    "org.patch": ("PATCH", "/v1/organizations/{target_org}",
                  "/v1/organizations/{id}"),
    "offer.patch": ("PATCH", "/v1/offers/{target_offer}",
                    "/v1/offers/{id}"),
    "part.patch": ("PATCH", "/v1/participants/{target_person}",
                   "/v1/participants/{id}"),
    "contact.patch": ("PATCH", "/v1/participants/{target_person}/contact",
                      "/v1/participants/{id}/contact"),
    "placement.patch": ("PATCH", "/v1/placements/{placement}",
                        "/v1/placements/{id}"),
}
CREATES = [k for k, v in ROUTES.items() if v[0] == "POST"]


def request_schema(spec, method, template):
    op = spec.doc["paths"][template][method.lower()]
    content = op["requestBody"]["content"]
    media = "application/merge-patch+json" if method == "PATCH" else \
        "application/json"
    return content.get(media, content.get("application/json"))["schema"]


def documented(spec, method, template):
    return set(spec.doc["paths"][template][method.lower()]["responses"])


MODES = ["valid", "valid", "valid", "drop", "extra", "type"]


def sensible(route, body):
    """Rules the contract states in prose rather than in the schema, so
    that valid offers are mostly creatable: an offer takes place somewhere
    or online, and age_min is not above age_max. The body stays valid."""
    if route == "offer.create":
        if body.get("place_id") is None and not body.get("online"):
            body["online"] = True
        lo, hi = body.get("age_min"), body.get("age_max")
        if lo is not None and hi is not None and lo > hi:
            body["age_min"], body["age_max"] = hi, lo
    return body


@pytest.mark.parametrize("route", list(ROUTES))
def test_bodies_from_the_contract(api, spec, refs, route):
    method, path_t, template = ROUTES[route]
    schema = request_schema(spec, method, template)
    conv = Converter(spec.doc, overrides_for(route, refs))
    node = conv.deref(schema)
    props = node["properties"]
    valid_bodies = conv.strategy(schema)
    statuses = collections.Counter()
    names = {"consent_person": refs.consent_person,
             "target_org": refs.target_org,
             "target_offer": refs.target_offer,
             "target_person": refs.target_person}

    @SETTINGS
    @given(data=st.data())
    def run(data):
        body = sensible(route, dict(data.draw(valid_bodies, label="body")))
        mode = data.draw(st.sampled_from(MODES), label="mode")
        target = None
        if mode == "drop" and [k for k in node.get("required", [])
                               if k in body]:
            target = data.draw(st.sampled_from(
                [k for k in node["required"] if k in body]))
            del body[target]
        elif mode == "extra":
            target = data.draw(st.from_regex(r"[a-z_]{1,20}", fullmatch=True)
                               .filter(lambda k: k not in props))
            body[target] = data.draw(JSON_VALUE, label="extra value")
        elif mode == "type" and body:
            target = data.draw(st.sampled_from(sorted(body)))
            body[target] = data.draw(wrong_type_strategy(conv,
                                                         props[target]))
        else:
            mode = "valid"

        fill = dict(names)
        if "{placement}" in path_t:
            fill["placement"] = data.draw(st.sampled_from(
                refs.target_placements), label="placement")
        path = path_t.format(**fill)
        headers = dict(refs.headers)
        if method == "PATCH":
            headers["Content-Type"] = data.draw(st.sampled_from(
                ["application/merge-patch+json", "application/json"]))
            etag = api.get(path, headers=refs.headers).headers["ETag"]
            headers["If-Match"] = etag
        else:
            headers["Content-Type"] = "application/json"

        r = api.request(method, path, headers=headers,
                        data=json.dumps(body, ensure_ascii=False).encode())
        statuses[r.status_code] += 1
        assert r.status_code < 500, (r.status_code, r.text)
        assert str(r.status_code) in documented(spec, method, template)
        if r.status_code >= 400:
            assert r.headers["Content-Type"] == "application/problem+json"
        if r.status_code == 422:
            errors = r.json().get("errors") or []
            assert errors, ("a 422 must name the offending fields", body,
                            r.text)
            assert all(e["field"].startswith("/") or e["field"] == ""
                       for e in errors), r.text
        if mode != "valid":
            assert r.status_code == 422, (mode, target, body, r.text)
            fields = [e["field"] for e in r.json().get("errors", [])]
            assert fields == ["/" + target], (mode, target, fields, r.text)

    run()
    if route in CREATES:
        assert statuses[201] + statuses[200] >= 1, statuses
        assert statuses[201] >= 1, (
            "no valid body was created over the run", statuses)


# ------------------------------------------------------------ examples

def test_integral_number_is_an_integer(api, refs):
    """JSON Schema's integer is any number with a zero fraction: 5.0 is
    one, and the API's validator takes it; the answer must then be the
    same as for 5, not a refusal from deeper down."""
    body = ('{"organization_id": "%s", "title": "Integral capacity",'
            ' "category": "%s", "languages": ["de"], "capacity": 5.0,'
            ' "online": true}' % (refs.orgs[0], refs.categories[0]))
    r = api.request("POST", "/v1/offers", data=body.encode(),
                    headers=dict(refs.headers,
                                 **{"Content-Type": "application/json"}))
    assert r.status_code == 201, (r.status_code, r.text)
    assert r.json()["capacity"] == 5


def test_converter_knows_every_keyword_of_the_request_schemas(spec):
    """The converter covers the keywords the request schemas use, so a new
    keyword in the contract shows up here instead of being ignored."""
    known = {"$ref", "type", "enum", "properties", "required",
             "additionalProperties", "minProperties", "items", "minItems",
             "maxItems", "uniqueItems", "minLength", "maxLength", "pattern",
             "format", "minimum", "maximum", "description", "example",
             "examples", "title", "default"}
    seen, formats = set(), set()

    def walk(node):
        if isinstance(node, dict):
            seen.update(node)
            if "format" in node:
                formats.add(node["format"])
            for k, v in node.items():
                if k in ("properties",):
                    for sub in v.values():
                        walk(sub)
                elif k in ("items", "additionalProperties"):
                    walk(v)
                elif k == "$ref":
                    walk(Converter(spec.doc).deref({"$ref": v}))

    for method, _, template in ROUTES.values():
        walk(request_schema(spec, method, template))
    assert seen <= known, seen - known
    assert formats <= {"uuid", "date"}, formats


# RFC 3339 date-times the contract's format admits (offsets up to 23:59,
# second 60, up to nine fraction digits, lower-case t and z): a list
# answers them with its page or a 400 naming updated_since, never with an
# undocumented status.
EDGE_TIMES = ["2024-01-01t00:00:00z", "9999-12-31T23:59:60Z",
              "2024-01-01T00:00:00.123456789Z", "0001-01-01T00:00:00Z",
              "2024-06-30T12:00:00%2B16:00", "2024-06-30T12:00:00-23:59",
              "0001-01-01T00:00:00%2B23:59", "2024-12-31T23:59:60-15:59"]


@pytest.mark.parametrize("path", ["/v1/organizations", "/v1/offers",
                                  "/v1/participants", "/v1/placements"])
@pytest.mark.parametrize("value", EDGE_TIMES)
def test_updated_since_edges(api, refs, path, value):
    r = api.get(path + "?updated_since=" + value, headers=refs.headers)
    assert r.status_code in (200, 400), (r.status_code, r.text)
    if r.status_code == 400:
        assert [e["field"] for e in r.json()["errors"]] == ["updated_since"]
