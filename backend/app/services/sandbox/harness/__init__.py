"""The in-sandbox side: a warm zygote that forks one single-use child per run.

This package runs INSIDE the sandbox under `python -I -S`, so its modules import only the standard library
and each other at module level (numpy, pandas and vectorbt are imported by the warm-up), and nothing of `app`.
The host binds it read-only at /sandbox/harness and starts `harness.zygote.main` (`bwrap.zygote_args()`)
with the JSON config as its one argument and a SOCK_SEQPACKET control socket on `config["control_fd"]`.
Protocol (one JSON object per message):

    host -> zygote  {"op": "run", "id": "r1", "symbols": ["SPY"]}   fds: [code, stdout, stderr, result, *data]
                    {"op": "kill", "id": "r1"}                     {"op": "exit"}
    zygote -> host  {"ev": "ready", "versions": {...}, "warm_s": 9.1}
                    {"ev": "done", "id": "r1", "status": 0, "signal": null, "cpu_s": 0.2, "killed": false}

The zygote runs as uid 0 of the sandbox with only CAP_SETUID/CAP_SETGID; it never runs untrusted code. Each
child reads its bars (as root, from the sealed memfds the host sent), closes every inherited fd, sets its
rlimits, drops to the slot uid and only then compiles the script. After a run, a reaper process that switches
to the slot uid sends SIGKILL to every process that uid owns (`kill(-1)` is scoped to the sandbox's PID
namespace, so it also catches `setsid()` double-forks), removes its files and SysV IPC objects.

Modules: `zygote` (the serve loop, forked-ahead children), `child` (a run's set-up), `script` (running the
code), `extract` (its result), `reaper` (after a run), `warmup`, `wire` (messages, bars), `timestamps`.
The host imports `script.strip_stub` (the policy checks what will run), `wire.encode_bars` and
`timestamps.iso_times` from here, so both sides share one definition.
"""
