#!/usr/bin/env python3
"""Great Expectations' rule test vectors as cases for sql_tests/validate_ge.sql.

    python3 sql_tests/data/make_ge_cases.py GE_TEST_DEFINITIONS_DIR > sql_tests/data/great_expectations/ge_cases.jsonl

GE_TEST_DEFINITIONS_DIR holds great-expectations/great_expectations
tests/test_definitions/**/*.json (@ce78204, Apache-2.0), flattened as
<family>__<expectation>.json.  Each line written is one JSON object: a test
whose expectation maps onto a dataeng rule kind, with its data as rows, the
column types, the rule (kind, column, params) and GE's expected outcome; or,
for a test that does not map, its title and the reason ("skip").  Datasets
come first, one line each ({"dataset": n, "columns": [[name, type]...],
"rows": [{...}...]}), and the cases refer to them by number.
"""
import glob
import json
import os
import sys

# GE expectation -> dataeng rule kind
KINDS = {
    'expect_column_values_to_not_be_null': 'not_null',
    'expect_column_values_to_be_null': 'expression',
    'expect_column_values_to_be_unique': 'unique',
    'expect_compound_columns_to_be_unique': 'unique',
    'expect_column_values_to_be_in_set': 'accepted_values',
    'expect_column_values_to_be_between': 'range',
    'expect_column_values_to_match_regex': 'regex',
    'expect_column_value_lengths_to_be_between': 'length',
    'expect_column_value_lengths_to_equal': 'length',
    'expect_table_row_count_to_be_between': 'row_count',
    'expect_table_row_count_to_equal': 'row_count',
}
# keyword arguments that change nothing about success
NEUTRAL = {'column', 'column_list', 'result_format', 'catch_exceptions', 'include_config'}
BACKENDS = {'postgresql', 'sqlalchemy'}


def sql_type(name, values, schemas):
    """The column's PostgreSQL type: GE's own for postgresql, else inferred."""
    pg = schemas.get('postgresql', {})
    if name in pg:
        return pg[name]
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, bool) for v in vals):
        return 'BOOLEAN'
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return 'BIGINT'
    if vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return 'DOUBLE PRECISION'
    return 'TEXT'


def rule_for(exp, kw):
    """(column, params) of the dataeng rule for GE's kwargs, or a skip reason."""
    col = kw.get('column')
    params = {}
    if 'mostly' in kw:
        params['mostly'] = kw['mostly']
    if exp == 'expect_column_values_to_be_null':
        params['expression'] = '"%s" IS NULL' % col.replace('"', '""')
        return None, params
    if exp == 'expect_compound_columns_to_be_unique':
        params['columns'] = kw['column_list']
        return None, params
    if exp == 'expect_column_values_to_be_in_set':
        params['values'] = kw['value_set']
    elif exp == 'expect_column_values_to_be_between' or exp == 'expect_table_row_count_to_be_between':
        if kw.get('min_value') is not None:
            params['min'] = kw['min_value']
        if kw.get('max_value') is not None:
            params['max'] = kw['max_value']
        for s in ('strict_min', 'strict_max'):
            if s in kw:
                params[s] = kw[s]
    elif exp == 'expect_column_values_to_match_regex':
        params['pattern'] = kw['regex']
    elif exp == 'expect_column_value_lengths_to_be_between':
        if kw.get('min_value') is not None:
            params['min'] = kw['min_value']
        if kw.get('max_value') is not None:
            params['max'] = kw['max_value']
    elif exp in ('expect_column_value_lengths_to_equal', 'expect_table_row_count_to_equal'):
        params['min'] = params['max'] = kw['value']
    return col, params


def main():
    src = sys.argv[1]
    out = sys.stdout
    datasets = {}
    lines = []
    for path in sorted(glob.glob(os.path.join(src, '*.json'))):
        fname = os.path.basename(path)[:-5]
        with open(path) as f:
            d = json.load(f)
        exp = d['expectation_type']
        for ds in d['datasets']:
            data = ds['data']
            schemas = ds.get('schemas', {})
            for t in ds['tests']:
                title = '%s: %s' % (fname.split('__', 1)[1], t['title'])
                case = {'title': title, 'expectation': exp}
                kw = t['in']
                reason = None
                if exp not in KINDS:
                    reason = 'no dataeng kind'
                elif BACKENDS & set(t.get('suppress_test_for', [])):
                    reason = 'suppressed for PostgreSQL'
                elif t.get('only_for') and not BACKENDS & set(t['only_for']):
                    reason = 'only for other back ends'
                elif 'row_condition' in kw:
                    reason = 'row_condition'
                elif '$PARAMETER' in json.dumps(kw):
                    reason = 'evaluation parameters'
                else:
                    extra = set(kw) - NEUTRAL - {'mostly', 'min_value', 'max_value', 'strict_min',
                                                 'strict_max', 'value_set', 'regex', 'value',
                                                 'ignore_row_if'}
                    if extra:
                        reason = 'kwargs ' + ', '.join(sorted(extra))
                if reason is None:
                    r = rule_for(exp, kw)
                    if isinstance(r, str):
                        reason = r
                if reason is not None:
                    case['skip'] = reason
                    lines.append(case)
                    continue
                col, params = r
                names = list(data)
                n = max((len(v) for v in data.values()), default=0)
                dataset = json.dumps({
                    'columns': [[c, sql_type(c, data[c], schemas)] for c in names],
                    'rows': [{c: (data[c][i] if i < len(data[c]) else None) for c in names}
                             for i in range(n)]}, sort_keys=True)
                case['dataset'] = datasets.setdefault(dataset, len(datasets) + 1)
                case['kind'] = KINDS[exp]
                case['column'] = col if KINDS[exp] not in ('expression', 'row_count') and \
                    exp != 'expect_compound_columns_to_be_unique' else None
                case['params'] = params
                o = t['out']
                expect = {}
                if 'traceback_substring' in o or 'error' in t:
                    expect['error'] = True
                else:
                    expect['success'] = o['success']
                    if 'unexpected_list' in o:
                        expect['unexpected_list'] = o['unexpected_list']
                    if 'observed_value' in o:
                        expect['observed_value'] = o['observed_value']
                case['expect'] = expect
                lines.append(case)
    for dataset, n in datasets.items():
        d = json.loads(dataset)
        d['dataset'] = n
        out.write(json.dumps(d, sort_keys=True) + '\n')
    for case in lines:
        out.write(json.dumps(case, sort_keys=True) + '\n')


if __name__ == '__main__':
    main()
