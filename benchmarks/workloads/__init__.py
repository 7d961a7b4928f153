"""What the benchmarks measure, one module per group of rows (see benchmarks/README.md).

`per_call` (a), (b), (d.a), (d.b); `big_cassette` (c), (d.c); `flat` (e). They share the
prompts and answers of `data` and the floor clients of `floor`; timing and printing are
the harness's (`benchmarks/harness.py`).
"""
