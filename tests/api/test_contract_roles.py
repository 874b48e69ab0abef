"""The roles of each operation, named by `x-roles` in openapi/openapi.yaml,
against the route table of api/router.c: the real pair agrees, and Kore
refuses to start a module whose contract disagrees with its table
(router_check_contract(), called from kore_parent_configure())."""

import glob
import os
import subprocess

import pytest
import yaml

from authutil import bearer, token_for
from conftest import TOP
from test_privileges import start

ROLES = ["state_admin", "coordinator", "assistant", "organization", "mentor",
         "participant"]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
           "trace")
# What auth_permit() answers a role the route table leaves out.
ROLE_REFUSED = "Your role does not allow this."
ANY_ID = "00000000-0000-4000-8000-000000000000"


def operations(doc):
    for template, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, template, item[method]


def test_every_operation_names_its_roles(spec):
    """A list of distinct role names, or [public] alone; public exactly
    where the operation asks for no bearer token."""
    for method, template, op in operations(spec.doc):
        roles = op.get("x-roles")
        where = (method, template, roles)
        assert isinstance(roles, list) and roles, where
        assert len(set(roles)) == len(roles), where
        assert roles == ["public"] or set(roles) <= set(ROLES), where
        security = op.get("security", spec.doc.get("security", []))
        assert (roles == ["public"]) == (security in ([], [{}])), where


@pytest.fixture(scope="module")
def tokens(api):
    return {role: token_for(api, role) for role in ROLES}


def test_the_server_lets_in_exactly_the_roles_of_x_roles(api, spec, tokens):
    """Every operation, called without a token and with a token of each
    role: the route table (the only place that admits or refuses a role
    before a handler runs) must admit exactly the roles x-roles names.
    Path values are arbitrary and bodies carry an unknown member, so an
    admitted call that would change something is refused later (400,
    404, 422, 428) and changes nothing."""
    def call(method, path, **kw):
        r = api.request(method.upper(), path, **kw)
        assert method == "get" or r.status_code >= 400, \
            (method, path, r.status_code, r.text)
        return r

    for method, template, op in operations(spec.doc):
        path = "/".join(ANY_ID if s.startswith("{") else s
                        for s in template.split("/"))
        kw = {}
        if method in ("post", "put", "patch"):
            kw["json"] = {"x-roles-probe": True}
        r = call(method, path, **kw)
        public = op["x-roles"] == ["public"]
        assert (r.status_code != 401) == public, \
            (method, template, r.status_code, r.text)
        if public:
            continue
        for role in ROLES:
            r = call(method, path, headers=bearer(tokens[role]), **kw)
            refused = r.status_code == 403 and \
                r.json().get("detail") == ROLE_REFUSED
            assert refused == (role not in op["x-roles"]), \
                (method, template, role, r.status_code, r.text)


def variant_module(tmp_path, change):
    """The module under test with another contract: its own objects,
    linked with the contract openapi/openapi.yaml becomes after change(),
    embedded as the Makefile does."""
    module = os.environ.get("CH_TEST_MODULE",
                            os.path.join(TOP, "build/release/api.so"))
    with open(os.path.join(TOP, "openapi/openapi.yaml"),
              encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    change(doc)
    src = tmp_path / "openapi.yaml"
    src.write_text(yaml.safe_dump(doc), encoding="utf-8")
    c, o, so = (tmp_path / n for n in ("openapi_json.c", "openapi_json.o",
                                      "api.so"))
    subprocess.run(["/usr/bin/python3",
                    os.path.join(TOP, "scripts/embed_openapi.py"), src, c],
                   check=True)
    subprocess.run(["cc", "-O0", "-fPIC", "-c", c, "-o", o], check=True)
    # build/san holds the objects of `make SAN=1`, linked with the
    # sanitizers' runtime.
    san = ["-fsanitize=address,undefined"] \
        if os.path.basename(os.path.dirname(module)) == "san" else []
    # The objects of the module's sources as they are now (api/config_check.c
    # is a separate program and has none here), with those of common/ the
    # Makefile builds under common/: a stale object of a source since
    # removed must not come along.
    objects = [o for o in (os.path.join(os.path.dirname(module), sub,
                                        os.path.basename(c)[:-2] + ".o")
                           for sub in ("", "common")
                           for c in sorted(glob.glob(os.path.join(
                               TOP, sub or "api", "*.c"))))
               if os.path.exists(o)]
    assert os.path.join(os.path.dirname(module), "common",
                        "envfile.o") in objects
    assert os.path.join(os.path.dirname(module), "router.o") in objects
    subprocess.run(["cc", "-shared", *san, "-o", so, *objects, o,
                    "-lcjson", "-ljwt", "-lcrypto", "-lsodium", "-lm",
                    "-lpq"], check=True)
    return str(so)


def set_roles(template, method, roles):
    def change(doc):
        doc["paths"][template][method]["x-roles"] = roles
    return change


def drop(template, method):
    def change(doc):
        del doc["paths"][template][method]
    return change


def add(template, method):
    def change(doc):
        doc["paths"][template] = {
            method: dict(doc["paths"]["/healthz"]["get"],
                         operationId="unrouted")}
    return change


@pytest.mark.parametrize("change,named", [
    (set_roles("/v1/offers/{id}", "patch", ["coordinator", "assistant"]),
     "PATCH /v1/offers/{id}: x-roles [coordinator, assistant] differs from "
     "the route table's [coordinator, assistant, organization]"),
    (set_roles("/v1/me", "get", ["public"]),
     "GET /v1/me: x-roles [public] differs from the route table's "
     "[state_admin, coordinator, assistant, organization, mentor, "
     "participant]"),
    (drop("/v1/tandems/{id}/meetings", "post"),
     "POST /v1/tandems/{id}/meetings: in the route table but not in the "
     "contract"),
    (add("/v1/unrouted", "get"),
     "GET /v1/unrouted: in the contract but not in the route table"),
], ids=["roles", "public", "missing-operation", "missing-route"])
def test_kore_refuses_a_contract_that_disagrees_with_the_table(
        stack, tmp_path, change, named):
    module = variant_module(tmp_path, change)
    code, out = start(stack, CH_DATABASE_URL=stack.url(owner=False),
                      CH_API_MODULE=module)
    assert code != 0, out
    assert "contract: " + named in out, out
    assert "disagree on 1 operation, named above" in out, out
