"""`make bench`: runs every benchmark in turn; `python -m bench sweep end_to_end` runs only those named
(with or without the ``bench_`` prefix), so one can be measured alone on a shared machine."""

import importlib
import pkgutil
import sys
from pathlib import Path

every = sorted(
    m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
)
asked = [a if a.startswith("bench_") else f"bench_{a}" for a in sys.argv[1:]]
unknown = [a for a in asked if a not in every]
if unknown:
    sys.exit(f"unknown benchmark(s) {', '.join(unknown)}; there are: {', '.join(every)}")
for module in asked or every:
    print(f"\n== {module} ==", flush=True)
    importlib.import_module(f"bench.{module}").main()
