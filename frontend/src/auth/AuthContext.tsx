/**
 * Who is signed in, and how a sign-in outlives a tab without a token a script could read.
 *
 * The access token is kept in memory only (`api/client.ts`). Signing in also asks the server for a
 * session cookie (httpOnly, SameSite=Strict, scoped to `/auth/session`), which no script can read; a new
 * tab or a reload trades it for its own fresh access token (`POST /auth/session/token`). Signing out
 * clears the cookie and tells the other tabs over a BroadcastChannel, so they sign out too.
 *
 * Why not sessionStorage + BroadcastChannel alone: a token in storage stays readable by any script on the
 * page for as long as the tab lives, and a tab opened when no other one is open still starts signed out.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api } from "../api/endpoints";
import { setToken, setUnauthorizedHandler } from "../api/client";

type Auth = {
  token: string | null;
  username: string | null;
  /** True while a new tab asks the server whether its session is still valid. */
  restoring: boolean;
  signIn: (username: string, password: string) => Promise<void>;
  register: (username: string, password: string) => Promise<void>;
  signOut: (reason?: string) => void;
  notice: string | null;
};

type TabMessage = { type: "signed-in" } | { type: "signed-out" };

const AuthContext = createContext<Auth | null>(null);
const CHANNEL = "stratcrew-auth";

function channel(): BroadcastChannel | null {
  return typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHANNEL);
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTok] = useState<string | null>(null);
  const [username, setUsername] = useState<string | null>(null);
  const [restoring, setRestoring] = useState(true);
  const [notice, setNotice] = useState<string | null>(null);

  const accept = useCallback((access: string, user: string) => {
    setToken(access);
    setTok(access);
    setUsername(user);
    setNotice(null);
  }, []);

  const forget = useCallback((reason?: string) => {
    setToken(null);
    setTok(null);
    setUsername(null);
    setNotice(reason ?? null);
  }, []);

  const restore = useCallback(async () => {
    try {
      const s = await api.sessionToken();
      accept(s.access_token, s.username);
    } catch {
      /* no session: the sign-in form */
    } finally {
      setRestoring(false);
    }
  }, [accept]);

  useEffect(() => {
    void restore();
    const ch = channel();
    if (!ch) return;
    ch.onmessage = (e: MessageEvent<TabMessage>) => {
      if (e.data?.type === "signed-out") forget("You signed out in another tab.");
      else if (e.data?.type === "signed-in") void restore();
    };
    return () => ch.close();
  }, [restore, forget]);

  const broadcast = (message: TabMessage) => {
    const ch = channel();
    ch?.postMessage(message);
    ch?.close();
  };

  const signOut = useCallback(
    (reason?: string) => {
      void api.closeSession().catch(() => undefined);
      forget(reason);
      broadcast({ type: "signed-out" });
    },
    [forget],
  );

  useEffect(() => {
    setUnauthorizedHandler(() => signOut("Your session has expired. Please sign in again."));
    return () => setUnauthorizedHandler(null);
  }, [signOut]);

  const signIn = useCallback(
    async (user: string, password: string) => {
      const t = await api.token(user, password);
      setToken(t.access_token);
      await api.openSession().catch(() => undefined); // without it, only this tab is signed in
      accept(t.access_token, user);
      broadcast({ type: "signed-in" });
    },
    [accept],
  );

  const register = useCallback(
    async (user: string, password: string) => {
      await api.register(user, password);
      await signIn(user, password);
    },
    [signIn],
  );

  const value = useMemo(
    () => ({ token, username, restoring, signIn, register, signOut, notice }),
    [token, username, restoring, signIn, register, signOut, notice],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}
