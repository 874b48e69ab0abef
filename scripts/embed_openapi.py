#!/usr/bin/python3
"""Turns openapi/openapi.yaml into a C file holding it as compact JSON."""

import json
import sys

import yaml


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    data = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
    raw = data.encode("utf-8")
    with open(dst, "w", encoding="ascii") as out:
        out.write("/* Generated from openapi/openapi.yaml; do not edit. */\n")
        out.write("#include <stddef.h>\n\n")
        out.write("const unsigned char openapi_json[] = {\n")
        for i in range(0, len(raw), 16):
            out.write("\t" + ", ".join(str(b) for b in raw[i:i + 16]) + ",\n")
        out.write("};\n")
        out.write("const size_t openapi_json_len = %d;\n" % len(raw))


if __name__ == "__main__":
    main()
