#!/usr/bin/env python3
"""Writes a libFuzzer dictionary for fuzz_schema from the contract.

The request schemas' member names, enum values and formats, as JSON
tokens, plus JSON's own syntax: mutations then build bodies of the
contract's words instead of random bytes.

    contract_dict.py build/openapi.json build/fuzz/fuzz_schema.dict
"""

import json
import sys

SYNTAX = ['{', '}', '[', ']', ':', ',', '""', 'null', 'true', 'false',
          '0', '-1', '1.5', '1e3', '\\u0000', '\\u00e9', '\\ud83d\\ude00',
          '"2024-02-29"', '"2024-02-29T23:59:60Z"',
          '"1990-01-01T00:00:00+15:59"',
          '"00000000-0000-4000-8000-000000000000"', '"16051"']


def dict_escape(word):
    """libFuzzer's dictionary syntax: \\, \" and \\xNN for other bytes."""
    out = []
    for byte in word.encode('utf-8'):
        char = chr(byte)
        if char in '\\"':
            out.append('\\' + char)
        elif 0x20 <= byte < 0x7f:
            out.append(char)
        else:
            out.append('\\x%02x' % byte)
    return ''.join(out)


def walk(node, words):
    if isinstance(node, dict):
        for name in node.get('properties', {}) or {}:
            words.add(json.dumps(name))
        for value in node.get('enum', []) or []:
            if isinstance(value, str):
                words.add(json.dumps(value))
        for value in node.values():
            walk(value, words)
    elif isinstance(node, list):
        for value in node:
            walk(value, words)


def main():
    contract = json.load(open(sys.argv[1]))
    words = set()
    walk(contract.get('components', {}).get('schemas', {}), words)
    with open(sys.argv[2], 'w') as out:
        for word in SYNTAX + sorted(words):
            out.write('"%s"\n' % dict_escape(word))


if __name__ == '__main__':
    main()
