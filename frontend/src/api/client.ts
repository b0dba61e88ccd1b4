/**
 * The one HTTP client of the builder: adds the bearer token, turns every non-2xx answer into an
 * `ApiError` that carries the server's own wording (`detail`) and its extra fields.
 *
 * Example: a 422 `{"error":"RuleNotUnderstood","detail":"Expected a number","position":4}` becomes
 * `ApiError{status: 422, error: "RuleNotUnderstood", detail: "Expected a number", body: {...}}`.
 */

export type ErrorBody = { error?: string; detail?: unknown; [key: string]: unknown };

export class ApiError extends Error {
  readonly status: number;
  readonly error: string;
  readonly detail: string;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody, fallback: string) {
    const detail = describeDetail(body, fallback);
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.error = typeof body.error === "string" ? body.error : `HTTP ${status}`;
    this.detail = detail;
    this.body = body;
  }
}

/**
 * The server's words. A validation error about one field is said in that field's own message ("Choose a
 * password of at least 8 characters"), without the "password: " path a form already shows; FastAPI's own
 * 422s may carry `detail` as a list of {loc, msg}, rendered readably.
 */
function describeDetail(body: ErrorBody, fallback: string): string {
  const d = body.detail;
  const errors = Array.isArray(body.errors) ? (body.errors as { msg?: string }[]) : null;
  if (body.error === "ValidationError" && errors?.length === 1 && errors[0].msg) return errors[0].msg;
  if (typeof d === "string" && d) return d;
  const list = Array.isArray(d) ? d : errors;
  if (list && list.length) {
    return list
      .map((e: { loc?: unknown[]; msg?: string }) =>
        [Array.isArray(e.loc) ? e.loc.filter((x) => x !== "body").join(".") : "", e.msg ?? ""]
          .filter(Boolean)
          .join(": "),
      )
      .join("; ");
  }
  return fallback;
}

/*
 * The access token lives in this module's memory only, never in Web Storage: a script injected into the page
 * cannot find it there. A sign-in survives a reload or a new tab through the server's httpOnly session
 * cookie, which no script can read and which only buys a fresh access token (see AuthContext).
 */
let token: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setToken(value: string | null): void {
  token = value;
}

export function getToken(): string | null {
  return token;
}

/** Called on any 401 so the app can return to the sign-in screen. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

type RequestOptions = {
  method?: string;
  json?: unknown;
  form?: Record<string, string>;
  /** A multipart body (file uploads); the browser sets its Content-Type with the boundary. */
  multipart?: FormData;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Parse the body as text instead of JSON. */
  raw?: boolean;
};

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.multipart) body = opts.multipart;
  else if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  }
  if (token) headers.Authorization = `Bearer ${token}`;

  let res: Response;
  try {
    res = await fetch(path, { method: opts.method ?? (body ? "POST" : "GET"), headers, body, signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, { error: "NetworkError" }, "Cannot reach the server. Is it running?");
  }

  if (!res.ok) {
    const text = await res.text().catch(() => "");
    let parsed: ErrorBody = {};
    try {
      const j: unknown = text ? JSON.parse(text) : {};
      parsed = j && typeof j === "object" && !Array.isArray(j) ? (j as ErrorBody) : {};
    } catch {
      parsed = {};
    }
    const err = new ApiError(res.status, parsed, text.trim().slice(0, 300) || `${res.status} ${res.statusText}`);
    if (res.status === 401 && onUnauthorized && !path.startsWith("/auth/")) onUnauthorized();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  if (opts.raw) return (await res.text()) as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Fetch a file that needs the token and hand it to the browser as a download or a new tab. */
export async function openAuthedFile(path: string, filename: string | null): Promise<void> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers });
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    let parsed: ErrorBody = {};
    try {
      parsed = JSON.parse(text) as ErrorBody;
    } catch {
      parsed = {};
    }
    throw new ApiError(res.status, parsed, `${res.status} ${res.statusText}`);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  if (filename) a.download = filename;
  else {
    a.target = "_blank";
    a.rel = "noopener";
  }
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the new tab or the download time to read the blob before releasing it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.detail;
  if (e instanceof Error) return e.message;
  return String(e);
}
