"""The benchmarks, in one place: each module measures one part and prints its own table.

Run one with ``.venv/bin/python -m training.bench.<name>`` or all with ``make bench``; README.md
gives every figure with the command that produced it. They live in ``training/`` (the composition
root, which may import every layer), not in the packages they measure.

- ``audit``: the audit log's append, checkpoint and verify;
- ``batch``: the 1M-vacancy scale path (IVF/HNSW recall and latency) and batch-match on Ray;
- ``encoder``: the German encoder's evaluation and speed, and its ablation rows;
- ``opportunities``: opportunities per person and the region report;
- ``proxies``: exposure by gender with and without proxy phrases in the text;
- ``reranker``: the re-ranker's scoring speed;
- ``retrieval``: the index kinds and the filter-first search paths;
- ``serving``: shortlists in process and over HTTP on the default and the 100k world;
- ``web``: page latency and weight of the web app.
"""
