/**
 * Stands in for the network (not for our code): each call to `fetch` is answered by `handler`, and
 * the requests are recorded so tests can check what was sent.
 */
import { vi } from "vitest";

export type Call = { url: string; init: RequestInit | undefined };

export function stubFetch(handler: (url: string, init?: RequestInit) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    calls.push({ url, init });
    if (init?.signal?.aborted) throw new DOMException("aborted", "AbortError");
    return handler(url, init);
  });
  vi.stubGlobal("fetch", fn);
  return calls;
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}
