import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, request, setToken, setUnauthorizedHandler } from "./client";
import { api } from "./endpoints";
import { jsonResponse, stubFetch } from "../test/fetchStub";

afterEach(() => {
  vi.unstubAllGlobals();
  setToken(null);
  setUnauthorizedHandler(null);
});

describe("request", () => {
  it("sends the bearer token and JSON body, and parses the answer", async () => {
    const calls = stubFetch(() => jsonResponse(201, { id: "strat_1", name: "x" }));
    setToken("tok123");
    const out = await api.createStrategy("x", { nodes: [] });
    expect(out).toEqual({ id: "strat_1", name: "x" });
    const headers = calls[0].init!.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer tok123");
    expect(calls[0].init!.method).toBe("POST");
    expect(JSON.parse(calls[0].init!.body as string)).toEqual({ name: "x", schema: { nodes: [] } });
  });

  it("posts the token request as an OAuth2 form", async () => {
    const calls = stubFetch(() => jsonResponse(200, { access_token: "a", token_type: "bearer" }));
    await api.token("ann", "p&ss word");
    const body = new URLSearchParams(calls[0].init!.body as string);
    expect(body.get("username")).toBe("ann");
    expect(body.get("password")).toBe("p&ss word");
    expect((calls[0].init!.headers as Record<string, string>)["Content-Type"]).toBe("application/x-www-form-urlencoded");
  });

  it("keeps the server's error name, wording and extra fields", async () => {
    stubFetch(() =>
      jsonResponse(422, { error: "RuleNotUnderstood", detail: "Expected a number after 'below'", position: 12, expected: ["NUMBER"] }),
    );
    const err = await request("/strategies/rules/validate", { json: { rule: "x" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(422);
    expect(e.error).toBe("RuleNotUnderstood");
    expect(e.detail).toBe("Expected a number after 'below'");
    expect(e.message).toBe("Expected a number after 'below'");
    expect(e.body.position).toBe(12);
  });

  it("renders FastAPI validation lists when detail is not a string", async () => {
    stubFetch(() =>
      jsonResponse(422, { detail: [{ loc: ["body", "params", "fees"], msg: "Input should be greater than or equal to 0" }] }),
    );
    const e = (await request("/x").catch((x: unknown) => x)) as ApiError;
    expect(e.detail).toBe("params.fees: Input should be greater than or equal to 0");
    expect(e.error).toBe("HTTP 422");
  });

  it("falls back to the text of a non-JSON error", async () => {
    stubFetch(() => new Response("Internal Server Error", { status: 500, statusText: "Internal Server Error" }));
    const e = (await request("/x").catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(500);
    expect(e.detail).toBe("Internal Server Error");
  });

  it("says the server is unreachable when fetch itself fails", async () => {
    stubFetch(() => {
      throw new TypeError("Failed to fetch");
    });
    const e = (await request("/x").catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(0);
    expect(e.error).toBe("NetworkError");
  });

  it("calls the unauthorized handler on a 401 outside /auth", async () => {
    stubFetch(() => jsonResponse(401, { error: "NotAuthenticated", detail: "Token expired" }));
    const seen: string[] = [];
    setUnauthorizedHandler(() => seen.push("signed out"));
    await request("/strategies").catch(() => undefined);
    expect(seen).toEqual(["signed out"]);
    await request("/auth/token", { form: { username: "a", password: "b" } }).catch(() => undefined);
    expect(seen).toEqual(["signed out"]); // a wrong password is not an expired session
  });

  it("returns undefined for 204", async () => {
    stubFetch(() => new Response(null, { status: 204 }));
    await expect(api.deleteStrategy("strat_1")).resolves.toBeUndefined();
  });
});
