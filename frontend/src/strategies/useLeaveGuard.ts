/**
 * Unsaved work is never lost silently: while `dirty`, leaving the strategy (a link, the back button, a new
 * address, closing the tab) is held and the page asks to save, discard or stay. Moving between the tabs of
 * the same strategy is not leaving.
 */
import { useCallback, useEffect, useState } from "react";
import { navigate, parseRoute, setLeaveGuard } from "../router";

export type LeaveGuard = {
  /** The address the user tried to go to, while the dialog asks. */
  pending: string | null;
  stay: () => void;
  leave: () => void;
  saveAndLeave: () => Promise<void>;
};

export function useLeaveGuard(dirty: boolean, strategyId: string | null, save: () => Promise<string | null>): LeaveGuard {
  const [pending, setPending] = useState<string | null>(null);

  useEffect(() => {
    if (!dirty) return;
    setLeaveGuard((to) => {
      const next = parseRoute(to);
      if (strategyId && next.page === "strategy" && next.id === strategyId) return true; // another tab of it
      setPending(to);
      return false;
    });
    const unload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = ""; // the browser asks "Leave site? Changes you made may not be saved."
    };
    window.addEventListener("beforeunload", unload);
    return () => {
      setLeaveGuard(null);
      window.removeEventListener("beforeunload", unload);
    };
  }, [dirty, strategyId]);

  const go = (to: string) => navigate(to.replace(/^#/, ""), { force: true });
  const stay = useCallback(() => setPending(null), []);
  const leave = useCallback(() => {
    if (pending) go(pending);
    setPending(null);
  }, [pending]);
  const saveAndLeave = useCallback(async () => {
    const to = pending;
    if (!to) return;
    const id = await save();
    setPending(null);
    if (id) go(to);
  }, [pending, save]);
  return { pending, stay, leave, saveAndLeave };
}
