import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, setCsrfToken } from './api/client';
import type { Account, Meta, Session, WhoAmI } from './api/types';

/** Who is logged in (undefined while asking, null when nobody) and the server's facts (sign-up mode, zones). */
export interface SessionState {
  account: Account | null | undefined;
  meta: Meta | undefined;
  signedIn: (s: Session) => void;
  refresh: () => Promise<void>;
  logout: () => Promise<void>;
}

const Ctx = createContext<SessionState | undefined>(undefined);

export function useSession(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside <SessionProvider>');
  return s;
}

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [account, setAccount] = useState<Account | null | undefined>(undefined);
  const [meta, setMeta] = useState<Meta | undefined>(undefined);
  const generation = useRef(0);
  const refresh = async () => {
    // a whoami still in flight when the user logs in or out must not overwrite what that did (a late 401 of
    // the old session would drop the new session's CSRF token, and its logout would then be refused)
    const asked = ++generation.current;
    try {
      const who = await api.get<WhoAmI>('/v1/auth/whoami');
      if (asked !== generation.current) return;
      setCsrfToken(who.csrfToken);
      setAccount(who.account);
    } catch (err) {
      if (asked !== generation.current) return;
      if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404)) {
        setCsrfToken(undefined);
        setAccount(null);
      } else setAccount((a) => (a === undefined ? null : a));
    }
  };
  useEffect(() => {
    void refresh();
    api
      .get<Meta>('/v1/meta')
      .then(setMeta)
      .catch(() => undefined);
  }, []);
  const state: SessionState = {
    account,
    meta,
    signedIn: (s) => {
      generation.current++;
      setCsrfToken(s.csrfToken);
      setAccount(s.account);
    },
    refresh,
    logout: async () => {
      generation.current++;
      try {
        await api.post('/v1/auth/logout');
      } catch (err) {
        // refused for a stale or missing CSRF token: take the session's token and ask again, so the page never
        // shows "logged out" in front of a server session that is still alive
        if (!(err instanceof ApiError && err.status === 403)) throw err;
        const who = await api.get<WhoAmI>('/v1/auth/whoami').catch(() => null);
        if (who?.csrfToken) {
          setCsrfToken(who.csrfToken);
          await api.post('/v1/auth/logout');
        }
      } finally {
        setCsrfToken(undefined);
        setAccount(null);
      }
    },
  };
  return <Ctx.Provider value={state}>{children}</Ctx.Provider>;
}
