/**
 * The signed-in user: read from GET /auth/session when the app opens, set by the sign-in steps, and
 * cleared on sign-out or when any request answers 401.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect } from 'react';
import type { Role } from '../../src/access/access-context';
import { ApiError, get, post, setCsrfToken, setUnauthorizedHandler } from './api';

/** The user as /auth/session and the sign-in steps describe them. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** The FHIR resource the user is (`Patient/7`, `Practitioner/12`), when linked. */
  resource?: string | null;
  mfaEnabled?: boolean;
}

export interface Session {
  user: SessionUser;
  csrfToken: string;
}

const sessionKey = ['session'];

async function fetchSession(signal?: AbortSignal): Promise<Session | null> {
  try {
    const session = await get<Session>('/auth/session', signal);
    setCsrfToken(session.csrfToken);
    return session;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return null;
    throw err;
  }
}

interface SessionState {
  session: Session | null | undefined;
  loading: boolean;
  error: Error | null;
  signedIn(session: Session): void;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const { data, isPending, error } = useQuery({
    queryKey: sessionKey,
    queryFn: ({ signal }) => fetchSession(signal),
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(undefined);
      client.setQueryData(sessionKey, null);
    });
  }, [client]);

  const state: SessionState = {
    session: data,
    loading: isPending,
    error,
    signedIn(session) {
      setCsrfToken(session.csrfToken);
      client.setQueryData(sessionKey, session);
    },
    async signOut() {
      try {
        await post('/auth/logout');
      } finally {
        setCsrfToken(undefined);
        client.clear();
        client.setQueryData(sessionKey, null);
      }
    },
  };
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

/** The signed-in user; only for screens shown after sign-in. */
export function useUser(): SessionUser {
  const { session } = useSession();
  if (!session) throw new Error('useUser without a session');
  return session.user;
}
