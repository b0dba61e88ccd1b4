"""Scale-out mode (DESIGN.md section 5): PostgreSQL, Redis pub/sub events, Dramatiq workers, lease sweeper.

Nothing here is imported in the embedded default except the sweeper (which also guards in-process runs).
"""
