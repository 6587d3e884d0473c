#!/usr/bin/env python3
"""Turn the public email test suites into TSV files for COPY.

Run from the project root with the suites beside it (../shared/testdata):
    python3 sql_tests/data/make_email_cases.py
Writes sql_tests/data/email_isemail.tsv and email_python_validator.tsv.
The expected answers follow the suites' own rules, written out below.
"""
import html
import json
import os
import re

SRC = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'testdata', 'email')
OUT = os.path.dirname(__file__)


def esc(s):
    """COPY text format escaping."""
    return (s.replace('\\', '\\\\').replace('\t', '\\t').replace('\n', '\\n')
             .replace('\r', '\\r'))


# isemail: control characters are written as U+2400 + n.  An address is a
# valid RFC 5321 mailbox when its category is below ISEMAIL_THRESHOLD (16):
# VALID (1), DNSWARN (7), RFC5321 (15).
xml = open(os.path.join(SRC, 'isemail_tests.xml'), encoding='utf-8').read()
rows = []
for tid, body in re.findall(r'<test id="(\d+)">(.*?)</test>', xml, re.S):
    m = re.search(r'<address>(.*?)</address>', body, re.S)
    addr = html.unescape(m.group(1)) if m else ''
    addr = ''.join(chr(ord(c) - 0x2400) if 0x2400 <= ord(c) < 0x2420 else c for c in addr)
    cat = re.search(r'<category>(.*?)</category>', body).group(1)
    diag = re.search(r'<diagnosis>(.*?)</diagnosis>', body).group(1)
    valid = cat in ('ISEMAIL_VALID_CATEGORY', 'ISEMAIL_DNSWARN', 'ISEMAIL_RFC5321')
    if '\0' in addr:
        continue                      # text cannot hold NUL
    rows.append('\t'.join([tid, esc(addr), cat, diag, 't' if valid else 'f']))
with open(os.path.join(OUT, 'email_isemail.tsv'), 'w', encoding='utf-8') as f:
    f.write('\n'.join(rows) + '\n')

# python-email-validator ("practical" policy, default options: no quoted
# local parts, no domain literals, globally deliverable).  Its pyisemail
# rows were run there with test_environment=True (dotless and "test"
# domains allowed): only the verdicts that hold without it are kept.
cases = json.load(open(os.path.join(SRC, 'python_email_validator_cases.json'), encoding='utf-8'))
rows = []
n = 0
for c in cases:
    t = c['test']
    if t == 'test_email_unsafe_character':
        addr, valid = c['s'] + '@example.com', False   # the suite: s + "@test"
    elif t == 'test_pyisemail_tests':
        addr, st = c['email_input'], c['status']
        if st == 'ISEMAIL_VALID':
            domain = addr.rsplit('@', 1)[1]
            if '.' not in domain:
                continue              # valid only in a test environment
            valid = True
        elif st.startswith('ISEMAIL_DNSWARN') or st.startswith('ISEMAIL_RFC5321_TLD'):
            continue                  # depends on test_environment / DNS
        else:
            valid = False
    elif t in ('test_email_valid', 'test_email_valid_intl_local_part'):
        # valid with the options the suite passes for them; quoted local
        # parts and display names are not allowed by the default policy
        addr = c['email_input']
        valid = not (addr.startswith('"') or '<' in addr)
    else:
        addr, valid = c['email_input'], False
    if '\0' in addr or any(0xD800 <= ord(ch) <= 0xDFFF for ch in addr):
        continue                      # text cannot hold NUL or lone surrogates
    n += 1
    rows.append('\t'.join([str(n), t, esc(addr), 't' if valid else 'f']))
with open(os.path.join(OUT, 'email_python_validator.tsv'), 'w', encoding='utf-8') as f:
    f.write('\n'.join(rows) + '\n')
