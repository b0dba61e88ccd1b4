import { useEffect, useState } from "react";

/**
 * Hash routes keep the SPA clear of the API's path prefixes (`/strategies`, `/executions`, ...):
 * `#/` strategies, `#/runs` every run, `#/new/<template>`, `#/s/<strategy id>[/<tab>[/<execution id>]]`.
 *
 * A page with unsaved work sets a leave guard: a link, the back button or a typed hash that would leave it
 * is held (the address put back) until the guard's dialog lets it go with `navigate(to, { force: true })`.
 */
export type Route =
  | { page: "list" }
  | { page: "runs" }
  | { page: "new"; template: string }
  | { page: "strategy"; id: string; tab: string | null; run: string | null };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "new") return { page: "new", template: parts[1] ?? "blank" };
  if (parts[0] === "runs") return { page: "runs" };
  if (parts[0] === "s" && parts[1]) return { page: "strategy", id: parts[1], tab: parts[2] ?? null, run: parts[3] ?? null };
  return { page: "list" };
}

export function strategyPath(id: string, tab?: string, run?: string): string {
  let path = `/s/${encodeURIComponent(id)}`;
  if (tab) path += `/${tab}`;
  if (tab && run) path += `/${encodeURIComponent(run)}`;
  return path;
}

type LeaveGuard = (to: string) => boolean;
let guard: LeaveGuard | null = null;
let forced: string | null = null;
let restoring = false;
// Each history entry this app admitted carries its position (`idx`), so a held navigation can be undone in
// the right direction: a link pushed an entry (go back one), the back or forward button moved by some
// entries (go the other way as many). Putting the address back with replaceState instead would leave a
// duplicate entry, and the next Back would then leave unasked.
let current = 0;
let highest = 0;

function stamp(): void {
  if (typeof history === "undefined") return;
  const idx = typeof history.state?.idx === "number" ? (history.state.idx as number) : ++highest;
  highest = Math.max(highest, idx);
  current = idx;
  history.replaceState({ ...(history.state ?? {}), idx }, "");
}
stamp();

/** `fn(to)` returns false to hold a navigation away from the page (it then asks the user). */
export function setLeaveGuard(fn: LeaveGuard | null): void {
  guard = fn;
}

export function navigate(path: string, opts: { force?: boolean } = {}): void {
  const to = `#${path.startsWith("/") ? path : `/${path}`}`;
  if (opts.force) forced = to;
  location.hash = path;
}

/** Whether a hash change may go ahead; a held one is undone (the address and history as they were). */
export function admit(to: string): boolean {
  if (restoring) {
    restoring = false;
    return false; // our own undo of a held navigation: the page never left
  }
  const free = forced === to || !guard || guard(to);
  forced = null;
  if (free) {
    stamp();
    return true;
  }
  const idx = history.state?.idx;
  restoring = true;
  if (typeof idx !== "number") history.back(); // a link or a typed address pushed one entry
  else history.go(current - idx); // the back/forward buttons moved `current - idx` entries
  return false;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => {
      if (admit(location.hash)) setRoute(parseRoute(location.hash));
    };
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
