"""Keep numba's on-disk cache of the kernel honest across code changes.

numba checks a cached function against its own file only; a caller compiled together with a callee from
another file (``run_block`` inlines ``simulate_group``) would keep the callee's old code after an edit. So
the cache directory carries a digest of every kernel source, and a different digest empties it before any
kernel function is compiled or loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

_STAMP = "stratcrew-kernel-sources.sha256"


def sources_digest(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package_dir.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_fresh(dispatcher: Any) -> None:
    """Empty the kernel's cache directory when its sources changed (best effort: a read-only cache, as a
    sandboxed run has, is left alone, and numba then compiles in memory)."""
    with contextlib.suppress(Exception):
        from numba.core.caching import FunctionCache

        cache_dir = Path(FunctionCache(dispatcher.py_func)._cache_path)  # type: ignore[no-untyped-call]
        stamp = cache_dir / _STAMP
        current = sources_digest(Path(__file__).parent)
        if stamp.is_file() and stamp.read_text() == current:
            return
        cache_dir.mkdir(parents=True, exist_ok=True)
        for path in cache_dir.iterdir():
            if path.suffix in (".nbi", ".nbc"):
                path.unlink()
        stamp.write_text(current)
