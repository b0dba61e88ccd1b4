import { useEffect, useState } from "react";

/** Hash routes keep the SPA clear of the API's path prefixes (`/strategies`, `/executions`, ...). */
export type Route =
  | { page: "list" }
  | { page: "new"; template: string }
  | { page: "strategy"; id: string; tab: string | null };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "new") return { page: "new", template: parts[1] ?? "blank" };
  if (parts[0] === "s" && parts[1]) return { page: "strategy", id: parts[1], tab: parts[2] ?? null };
  return { page: "list" };
}

export function navigate(path: string): void {
  location.hash = path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
