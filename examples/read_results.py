"""Read a results folder (``firmsim run ... --out DIR``) into pandas, and query it with SQL.

    .venv/bin/python examples/read_results.py results/demo-run
"""

import sys

import simulation as fs

folder = sys.argv[1] if len(sys.argv) > 1 else "results/need-shift"
tables = fs.read_results(folder)          # checked against the folder's manifest
for name, frame in tables.items():
    print(f"{name}: {len(frame)} rows, columns {list(frame.columns)[:6]}...")

# The same tables in DuckDB SQL (read-only), as `firmsim query DIR "SQL"`:
print(fs.query(folder, """
    SELECT structure, avg(market_share) AS share, avg(decision_latency) AS latency
    FROM timeseries GROUP BY structure ORDER BY share DESC
"""))
