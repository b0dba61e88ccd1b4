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
let accepted = typeof location === "undefined" ? "" : location.hash;

/** `fn(to)` returns false to hold a navigation away from the page (it then asks the user). */
export function setLeaveGuard(fn: LeaveGuard | null): void {
  guard = fn;
}

export function navigate(path: string, opts: { force?: boolean } = {}): void {
  const to = `#${path.startsWith("/") ? path : `/${path}`}`;
  if (opts.force) forced = to;
  location.hash = path;
}

/** Whether a hash change may go ahead; puts the old address back when the guard holds it. */
export function admit(to: string): boolean {
  const free = forced === to || !guard || guard(to);
  forced = null;
  if (!free) {
    history.replaceState(history.state, "", accepted || "#/");
    return false;
  }
  accepted = to;
  return true;
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
