/**
 * Follows one execution over `WS /executions/{id}/ws`, resuming with `after=<last seq>` when the
 * socket drops or the server says `reconnect`, and polling `GET /executions/{id}` as a safety net so
 * a lost `end` message never leaves the screen spinning.
 */
import { useEffect, useReducer, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { getToken, errorText } from "../api/client";
import type { ExecutionStatus, WsMessage } from "../api/types";
import { TERMINAL } from "../api/types";
import { initialProgress, progressReducer } from "./progress";

const MAX_RETRIES = 6;

/** Closing a socket that is still connecting makes the browser log an error; wait for it to open. */
function closeQuietly(sock: WebSocket): void {
  sock.onmessage = null;
  if (sock.readyState === WebSocket.CONNECTING) sock.onopen = () => sock.close();
  else sock.close();
}

export function useExecutionStream(executionId: string | null, initialStatus: ExecutionStatus = "queued") {
  const [state, dispatch] = useReducer(progressReducer, initialStatus, initialProgress);
  const [connError, setConnError] = useState<string | null>(null);
  const lastSeq = useRef(-1);
  lastSeq.current = state.lastSeq;
  const ended = useRef(false);
  ended.current = state.ended;

  useEffect(() => {
    if (!executionId) return;
    dispatch({ type: "reset", status: initialStatus });
    lastSeq.current = -1;
    ended.current = TERMINAL.includes(initialStatus);
    setConnError(null);
    let ws: WebSocket | null = null;
    let retries = 0;
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const connect = (after: number | null) => {
      if (disposed) return;
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const q = new URLSearchParams({ token: getToken() ?? "" });
      if (after !== null && after >= 0) q.set("after", String(after));
      const sock = new WebSocket(`${proto}//${location.host}/executions/${encodeURIComponent(executionId)}/ws?${q}`);
      ws = sock;
      sock.onopen = () => {
        retries = 0;
        setConnError(null);
      };
      sock.onmessage = (msg) => {
        if (ws !== sock) return; // a socket we already replaced
        let data: WsMessage;
        try {
          data = JSON.parse(String(msg.data)) as WsMessage;
        } catch {
          return;
        }
        if (data.type === "event") dispatch({ type: "event", event: data });
        else if (data.type === "end") {
          ended.current = true;
          dispatch({ type: "end", status: data.status });
        } else if (data.type === "reconnect") {
          ws = null;
          closeQuietly(sock);
          connect(data.after);
        }
      };
      sock.onclose = (ev) => {
        if (disposed || ended.current || ws !== sock) return;
        if (ev.code === 4401) return setConnError("Your session has expired: sign in again to follow this run.");
        if (ev.code === 4404) return setConnError("This execution was not found.");
        if (retries >= MAX_RETRIES) return setConnError("Lost the live connection; the status is still polled.");
        retries += 1;
        timer = setTimeout(() => connect(lastSeq.current), Math.min(4000, 250 * 2 ** retries));
      };
    };
    connect(null);

    const poll = setInterval(async () => {
      if (ended.current) return;
      try {
        const ex = await api.execution(executionId);
        if (TERMINAL.includes(ex.status)) {
          // Give the socket a moment to deliver the tail of the events before declaring the end.
          setTimeout(() => dispatch({ type: "end", status: ex.status }), 1500);
        }
      } catch (e) {
        setConnError(errorText(e));
      }
    }, 3000);

    return () => {
      disposed = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      const sock = ws;
      ws = null;
      if (sock) closeQuietly(sock);
    };
    // initialStatus only seeds a new stream; it must not restart one.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [executionId]);

  return { state, connError };
}
