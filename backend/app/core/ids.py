"""Prefixed string ids (contract): `strat_…`, `exec_…`, `bt_…`, `usr_…`."""

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"
