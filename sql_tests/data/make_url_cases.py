#!/usr/bin/env python3
"""Turn WPT's urltestdata.json into a TSV file for COPY.

Run from the project root with the suites beside it (../shared/testdata):
    python3 sql_tests/data/make_url_cases.py
Writes sql_tests/data/url_wpt.tsv: one row per case whose base is null (an
absolute URL), with columns
    n              the case's position among those rows
    input          the input (COPY text escaping)
    failure        t when the WHATWG parser fails on it
    url_default    the expected is_url(input): parses, scheme http or https,
                   a non-empty host
    url_special    the expected is_url(input, '{http,https,ftp,ws,wss,file}'):
                   parses, one of those schemes, a non-empty host (file URLs:
                   any host, even empty)
    href           the parsed URL (empty on failure), for reading the output
Inputs holding U+0000 are left out (text cannot hold NUL); lone surrogates
become U+FFFD, as a browser's USVString conversion does.
"""
import json
import os

SRC = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'testdata', 'url')
OUT = os.path.dirname(__file__)
SPECIAL = ('http:', 'https:', 'ftp:', 'ws:', 'wss:', 'file:')


def esc(s):
    """COPY text format escaping."""
    return (s.replace('\\', '\\\\').replace('\t', '\\t').replace('\n', '\\n')
             .replace('\r', '\\r'))


def usv(s):
    """Lone surrogates to U+FFFD."""
    return s.encode('utf-16', 'surrogatepass').decode('utf-16', 'replace')


def tf(b):
    return 't' if b else 'f'


cases = json.load(open(os.path.join(SRC, 'wpt_urltestdata.json'), encoding='utf-8'))
rows = []
dropped = 0
for c in cases:
    if not isinstance(c, dict) or c.get('base') is not None:
        continue
    inp = c['input']
    if '\0' in inp:
        dropped += 1
        continue
    fail = bool(c.get('failure'))
    proto = '' if fail else c['protocol']
    host = '' if fail else c['hostname']
    default = not fail and proto in ('http:', 'https:') and host != ''
    special = not fail and proto in SPECIAL and (host != '' or proto == 'file:')
    rows.append([esc(usv(inp)), tf(fail), tf(default), tf(special),
                 esc(usv('' if fail else c['href']))])
with open(os.path.join(OUT, 'url_wpt.tsv'), 'w', encoding='utf-8') as f:
    for n, r in enumerate(rows, 1):
        f.write('\t'.join([str(n)] + r) + '\n')
print(len(rows), 'cases written,', dropped, 'with U+0000 left out')
