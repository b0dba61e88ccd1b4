import { AuthProvider, useAuth } from "./auth/AuthContext";
import { LoginPage } from "./auth/LoginPage";
import { useRoute } from "./router";
import { RunsPage } from "./runs/RunsPage";
import { StrategyList } from "./strategies/StrategyList";
import { StrategyPage } from "./strategies/StrategyPage";

function Shell() {
  const { token, username, signOut } = useAuth();
  const route = useRoute();
  if (!token) return <LoginPage />;
  return (
    <>
      <a href="#main" className="skip-link">Skip to content</a>
      <header className="topbar">
        <a href="#/" className="brand">StratCrew</a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === "list" ? "page" : undefined}>Strategies</a>
          <a href="#/runs" aria-current={route.page === "runs" ? "page" : undefined} data-testid="nav-runs">
            Runs
          </a>
        </nav>
        <span className="spacer" />
        <span className="muted small" data-testid="whoami">{username}</span>
        <button type="button" onClick={() => signOut()} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <div id="main" tabIndex={-1}>
        {route.page === "list" ? <StrategyList /> : route.page === "runs" ? <RunsPage /> : <StrategyPage route={route} />}
      </div>
    </>
  );
}

export default function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}
