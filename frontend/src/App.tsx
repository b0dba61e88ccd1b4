import { AuthProvider, useAuth } from "./auth/AuthContext";
import { LoginPage } from "./auth/LoginPage";
import { useRoute } from "./router";
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
          <a href="#/">Strategies</a>
        </nav>
        <span className="spacer" />
        <span className="muted small" data-testid="whoami">{username}</span>
        <button type="button" onClick={() => signOut()} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <div id="main" tabIndex={-1}>
        {route.page === "list" ? <StrategyList /> : <StrategyPage route={route} />}
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
