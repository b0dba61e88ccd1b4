"""The grid of a sweep: named parameters, each with its list of values; a combination is one value of each.

Combinations are numbered in row-major order over the parameters as given (the last one varies fastest),
so combination ``c`` has value index ``np.unravel_index(c, grid.shape)`` on each axis.

>>> g = Grid({"fast": [5, 10], "slow": [20, 50, 100]})
>>> g.size, g.shape
(6, (2, 3))
>>> {k: v.tolist() for k, v in g.values_of(np.array([0, 5])).items()}
{'fast': [5.0, 10.0], 'slow': [20.0, 100.0]}
>>> g.valid_mask([("fast", "<", "slow")]).sum()
np.int64(6)
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence

import numpy as np

_OPS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "!=": operator.ne,
}

Constraint = tuple[str, str, str]  # ("fast", "<", "slow"): a combination must satisfy it to be run


class Grid:
    def __init__(self, params: Mapping[str, Sequence[float]]) -> None:
        if not params:
            raise ValueError("a sweep needs at least one parameter")
        self.names: list[str] = list(params)
        self.values: list[np.ndarray] = []
        for name in self.names:
            values = np.asarray(list(params[name]), dtype=np.float64)
            if values.ndim != 1 or len(values) == 0:
                raise ValueError(f"parameter {name!r} needs at least one value")
            if not np.isfinite(values).all():
                raise ValueError(f"parameter {name!r} has a value that is not a finite number")
            if len(np.unique(values)) != len(values):
                raise ValueError(f"parameter {name!r} lists a value twice")
            self.values.append(values)
        self.shape: tuple[int, ...] = tuple(len(v) for v in self.values)
        self.size = int(np.prod(self.shape, dtype=np.int64))

    def axis(self, name: str) -> int:
        return self.names.index(name)

    def indices_of(self, flat: np.ndarray) -> list[np.ndarray]:
        """Per parameter, the value index of each combination in ``flat``."""
        return list(np.unravel_index(flat, self.shape))

    def values_of(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Per parameter, the value of each combination in ``flat``."""
        return {
            name: self.values[a][idx]
            for a, (name, idx) in enumerate(zip(self.names, self.indices_of(flat), strict=True))
        }

    def row(self, combo: int) -> dict[str, float]:
        return {name: float(v[0]) for name, v in self.values_of(np.array([combo])).items()}

    def valid_mask(self, constraints: Sequence[Constraint]) -> np.ndarray:
        """Boolean per combination: every constraint holds."""
        mask = np.ones(self.shape, dtype=bool)
        for left, op, right in constraints:
            a, b = self._broadcast(left), self._broadcast(right)
            mask &= _OPS[op](a, b)
        return mask.reshape(-1)

    def _broadcast(self, name: str) -> np.ndarray:
        axis = self.axis(name)
        shape = [1] * len(self.shape)
        shape[axis] = self.shape[axis]
        return self.values[axis].reshape(shape)


def check_constraints(grid: Grid, constraints: Sequence[Constraint]) -> None:
    for left, op, right in constraints:
        for name in (left, right):
            if name not in grid.names:
                raise ValueError(f"constraint names {name!r}, which is not a parameter of the grid")
        if op not in _OPS:
            raise ValueError(f"constraint operator {op!r} is not one of {sorted(_OPS)}")
