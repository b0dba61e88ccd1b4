import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AuthProvider } from "./AuthContext";
import { LoginPage, passwordProblem } from "./LoginPage";
import { jsonResponse, stubFetch } from "../test/fetchStub";

afterEach(() => vi.unstubAllGlobals());

describe("sign-in", () => {
  it("says in words that a 5-character password is too short, before asking the server", async () => {
    expect(passwordProblem("abcde")).toBe("Choose a password of at least 8 characters (this one has 5)");
    expect(passwordProblem("abcdefgh")).toBeNull();
    const calls = stubFetch((url) => (url.includes("/auth/session/token") ? jsonResponse(401, { error: "Unauthorized", detail: "No session" }) : jsonResponse(500, {})));
    const user = userEvent.setup();
    render(
      <AuthProvider>
        <LoginPage />
      </AuthProvider>,
    );
    await screen.findByTestId("auth-form");
    await user.click(screen.getByTestId("tab-register"));
    await user.type(screen.getByTestId("username"), "ann");
    await user.type(screen.getByTestId("password"), "abcde");
    await user.click(screen.getByTestId("auth-submit"));
    expect(screen.getByTestId("auth-error")).toHaveTextContent("Choose a password of at least 8 characters (this one has 5)");
    expect(calls.filter((c) => c.url.includes("/auth/register"))).toHaveLength(0);
  });

  it("restores a session from the cookie and keeps the token out of Web Storage", async () => {
    stubFetch((url) => (url.includes("/auth/session/token") ? jsonResponse(200, { access_token: "tok-xyz", token_type: "bearer", username: "ann" }) : jsonResponse(404, {})));
    const { AuthProvider: Provider, useAuth } = await import("./AuthContext");
    function Who() {
      const { username, token } = useAuth();
      return <p data-testid="who">{username ? `${username}:${token}` : "nobody"}</p>;
    }
    render(
      <Provider>
        <Who />
      </Provider>,
    );
    expect(await screen.findByText("ann:tok-xyz")).toBeInTheDocument();
    const stored = [...Object.values(sessionStorage), ...Object.values(localStorage)].join(" ");
    expect(stored).not.toContain("tok-xyz");
  });
});
