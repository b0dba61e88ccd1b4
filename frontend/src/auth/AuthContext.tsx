import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api } from "../api/endpoints";
import { loadToken, setToken, setUnauthorizedHandler } from "../api/client";

type Auth = {
  token: string | null;
  username: string | null;
  signIn: (username: string, password: string) => Promise<void>;
  register: (username: string, password: string) => Promise<void>;
  signOut: (reason?: string) => void;
  notice: string | null;
};

const AuthContext = createContext<Auth | null>(null);
const USER_KEY = "stratcrew.user";

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTok] = useState<string | null>(() => loadToken());
  const [username, setUsername] = useState<string | null>(() => sessionStorage.getItem(USER_KEY));
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((reason?: string) => {
    setToken(null);
    sessionStorage.removeItem(USER_KEY);
    setTok(null);
    setUsername(null);
    setNotice(reason ?? null);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => signOut("Your session has expired. Please sign in again."));
    return () => setUnauthorizedHandler(null);
  }, [signOut]);

  const signIn = useCallback(async (user: string, password: string) => {
    const t = await api.token(user, password);
    setToken(t.access_token);
    sessionStorage.setItem(USER_KEY, user);
    setTok(t.access_token);
    setUsername(user);
    setNotice(null);
  }, []);

  const register = useCallback(
    async (user: string, password: string) => {
      await api.register(user, password);
      await signIn(user, password);
    },
    [signIn],
  );

  const value = useMemo(
    () => ({ token, username, signIn, register, signOut, notice }),
    [token, username, signIn, register, signOut, notice],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}
