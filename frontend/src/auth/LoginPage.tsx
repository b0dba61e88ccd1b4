import { useState, type FormEvent } from "react";
import { errorText } from "../api/client";
import { MIN_PASSWORD } from "../api/constants.gen";
import { useAuth } from "./AuthContext";

/** The server's own rule and wording, checked before sending (the server checks again). */
export function passwordProblem(password: string): string | null {
  return password.length < MIN_PASSWORD
    ? `Choose a password of at least ${MIN_PASSWORD} characters (this one has ${password.length})`
    : null;
}

export function LoginPage() {
  const { signIn, register, notice, restoring } = useAuth();
  const [mode, setMode] = useState<"signin" | "register">("signin");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const problem = mode === "register" ? passwordProblem(password) : null;
    if (problem) return setError(problem);
    setBusy(true);
    try {
      if (mode === "signin") await signIn(username, password);
      else await register(username, password);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (restoring)
    return (
      <main className="login">
        <p className="muted" role="status" data-testid="restoring">
          Signing you in…
        </p>
      </main>
    );
  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} data-testid="auth-form" aria-labelledby="auth-title">
        <h1 id="auth-title">StratCrew</h1>
        <p className="muted">Draw a trading strategy, backtest it, read the code.</p>
        <div className="tabs" role="tablist" aria-label="Sign in or register">
          <button
            type="button"
            role="tab"
            aria-selected={mode === "signin"}
            className={mode === "signin" ? "tab active" : "tab"}
            onClick={() => setMode("signin")}
            data-testid="tab-signin"
          >
            Sign in
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={mode === "register"}
            className={mode === "register" ? "tab active" : "tab"}
            onClick={() => setMode("register")}
            data-testid="tab-register"
          >
            Register
          </button>
        </div>
        {notice && <p className="notice" role="status">{notice}</p>}
        <label>
          Username
          <input
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="username"
            required
            data-testid="username"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={mode === "signin" ? "current-password" : "new-password"}
            required
            data-testid="password"
          />
        </label>
        {error && (
          <p className="error" role="alert" data-testid="auth-error">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy} data-testid="auth-submit">
          {busy ? "Please wait…" : mode === "signin" ? "Sign in" : "Create account"}
        </button>
      </form>
    </main>
  );
}
