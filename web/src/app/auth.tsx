// Who is signed in, and what their account must do before it may use the application.
// The session itself lives in an HttpOnly cookie that scripts cannot read; this only mirrors /me.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, apiEvents, SESSION_ENDED, setCsrfToken, SETUP_REQUIRED, type SetupStep } from '../api/client';
import type { Role, SignInAnswer, User } from '../api/types';

// Why the sign-in page is shown: to say so when it was not the user's choice.
export type SignedOutReason = 'session-expired' | 'signed-out' | null;

export type AuthState =
  | { status: 'loading' }
  | { status: 'signed-out'; reason: SignedOutReason }
  | { status: 'signed-in'; user: User; setup: SetupStep | null };

interface Auth {
  state: AuthState;
  signedIn(answer: SignInAnswer): void;
  signOut(): Promise<void>;
  refresh(): Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

// Roles for which fleetd requires TOTP (docs/api.md); a tenant may require it of everyone, which
// the server tells with 403 totp-enrolment-required on the first call.
const TOTP_MANDATORY: readonly Role[] = ['operator-admin', 'tenant-admin'];

function setupOf(user: User): SetupStep | null {
  if (user.must_change_password) return 'password';
  if (!user.totp_enabled && TOTP_MANDATORY.includes(user.role)) return 'totp';
  return null;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const user = await api<User>('GET', '/api/v1/me', { quietUnauthorized: true });
      setState({ status: 'signed-in', user, setup: setupOf(user) });
    } catch {
      setState({ status: 'signed-out', reason: null });
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    const ended = () =>
      setState((s) => (s.status === 'signed-in' ? { status: 'signed-out', reason: 'session-expired' } : s));
    const setup = (e: Event) => {
      const step = (e as CustomEvent<SetupStep>).detail;
      setState((s) => (s.status === 'signed-in' && s.setup !== step ? { ...s, setup: step } : s));
    };
    // Back to a tab left open (perhaps past the idle timeout): find out now whether the session
    // still lives, rather than at the next click. No polling: that would keep an idle session alive.
    const visible = () => {
      if (document.visibilityState === 'visible') api('GET', '/api/v1/me').catch(() => undefined);
    };
    document.addEventListener('visibilitychange', visible);
    apiEvents.addEventListener(SESSION_ENDED, ended);
    apiEvents.addEventListener(SETUP_REQUIRED, setup);
    return () => {
      document.removeEventListener('visibilitychange', visible);
      apiEvents.removeEventListener(SESSION_ENDED, ended);
      apiEvents.removeEventListener(SETUP_REQUIRED, setup);
    };
  }, []);

  const signedIn = useCallback((answer: SignInAnswer) => {
    setCsrfToken(answer.csrf_token);
    setState({ status: 'signed-in', user: answer.user, setup: setupOf(answer.user) });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('POST', '/api/v1/auth/logout', { quietUnauthorized: true });
    } catch {
      // already ended on the server: nothing more to do
    }
    setCsrfToken('');
    setState({ status: 'signed-out', reason: 'signed-out' });
  }, []);

  const value = useMemo(() => ({ state, signedIn, signOut, refresh }), [state, signedIn, signOut, refresh]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

// The signed-in user (only under RequireSignedIn).
export function useUser(): User {
  const { state } = useAuth();
  if (state.status !== 'signed-in') throw new Error('useUser while signed out');
  return state.user;
}
