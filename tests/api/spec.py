"""Validates real HTTP responses against openapi/openapi.yaml (OpenAPI 3.1,
whose schemas are JSON Schema 2020-12)."""

import re
from urllib.parse import urlsplit

import jsonschema
import yaml

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?"
                     r"(Z|[+-]\d{2}:\d{2})$")
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time")
def is_date_time(value):
    return not isinstance(value, str) or bool(RFC3339.match(value))


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.paths = []
        for template in self.doc["paths"]:
            pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+",
                             re.escape(template))
            self.paths.append((re.compile("^" + pattern + "$"), template))

    def deref(self, node):
        while "$ref" in node:
            _, node = self.resolver.resolve(node["$ref"])
        return node

    def operation(self, method, path):
        for rx, template in self.paths:
            if rx.match(path):
                item = self.doc["paths"][template]
                m = "get" if method.lower() == "head" else method.lower()
                return template, item.get(m)
        return None, None

    def validate(self, method, response):
        """Asserts the response is documented for its path, method and
        status, with the documented media type, headers and body schema.
        Undocumented paths and methods must be problem+json 404/405."""
        path = urlsplit(response.request.url).path
        template, op = self.operation(method, path)
        ctype = response.headers.get("Content-Type", "")
        if method.upper() == "OPTIONS" and template is not None:
            assert response.status_code == 204
            assert "Allow" in response.headers
            return
        if op is None:
            assert response.status_code in (404, 405), \
                (method, path, response.status_code)
            assert ctype == "application/problem+json", ctype
            self.check_schema(response.json(),
                              {"$ref": "#/components/schemas/Problem"})
            return
        status = str(response.status_code)
        assert status in op["responses"], \
            "%s %s answered %s, which the contract does not list" % (
                method, template, status)
        documented = self.deref(op["responses"][status])
        for name in documented.get("headers", {}):
            assert name in response.headers, (template, status, name)
        content = documented.get("content")
        if not content:
            assert not response.content
            return
        assert ctype in content, (template, status, ctype)
        if method.upper() == "HEAD":
            return
        schema = content[ctype].get("schema")
        if schema is not None:
            # JSON media types are checked as JSON, others (/metrics:
            # text/plain) as the string they are.
            json_like = ctype.split(";")[0].strip().endswith(
                ("/json", "+json"))
            self.check_schema(response.json() if json_like
                              else response.text, schema)

    def check_schema(self, body, schema):
        validator = jsonschema.Draft202012Validator(
            schema, resolver=self.resolver, format_checker=FORMATS)
        validator.validate(body)
