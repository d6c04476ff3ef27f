// Sign-in: e-mail and password, then the TOTP code when the server asks for it (401 totp-required).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import type { SignInAnswer } from '../api/types';
import { useAuth } from '../app/auth';
import { homeOf } from '../app/Shell';
import { LanguagePicker } from '../components/LanguagePicker';
import { errorText } from '../components/errors';

export default function SignIn() {
  const { t } = useTranslation();
  const { state, signedIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const totpInput = useRef<HTMLInputElement>(null);
  const errorBox = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (askTotp) totpInput.current?.focus();
  }, [askTotp]);
  useEffect(() => {
    if (error) errorBox.current?.focus();
  }, [error]);

  const reason = state.status === 'signed-out' ? state.reason : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const body: Record<string, string> = { email, password };
      if (askTotp) body.totp = totp.trim();
      const answer = await api<SignInAnswer>('POST', '/api/v1/auth/login', { body, quietUnauthorized: true });
      signedIn(answer);
      navigate(from ?? homeOf(answer.user.role), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.type === 'totp-required') {
        setAskTotp(true);
      } else if (err instanceof ApiError && err.type === 'account-locked') {
        const minutes = Math.max(1, Math.ceil((err.retryAfterSeconds ?? 60) / 60));
        setError(t('signIn.locked', { count: minutes }));
      } else if (err instanceof ApiError && err.type === 'totp-invalid') {
        setTotp('');
        setError(errorText(t, err));
      } else {
        setError(errorText(t, err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="centered-page">
      <header className="centered-header">
        <span className="brand">fleetd</span>
        <LanguagePicker />
      </header>
      <main className="card">
        <h1>{t('signIn.title')}</h1>
        {reason === 'session-expired' && (
          <p className="notice" role="status">
            {t('signIn.sessionExpired')}
          </p>
        )}
        {reason === 'signed-out' && (
          <p className="notice" role="status">
            {t('signIn.signedOut')}
          </p>
        )}
        {error && (
          <div className="error" role="alert" tabIndex={-1} ref={errorBox}>
            {error}
          </div>
        )}
        <form onSubmit={submit} aria-busy={busy}>
          <label htmlFor="email">{t('signIn.email')}</label>
          <input
            id="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            readOnly={askTotp}
          />
          <label htmlFor="password">{t('signIn.password')}</label>
          <input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            readOnly={askTotp}
          />
          {askTotp && (
            <>
              <label htmlFor="totp">{t('signIn.totp')}</label>
              <input
                id="totp"
                ref={totpInput}
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                maxLength={11}
                aria-describedby="totp-help"
                value={totp}
                onChange={(e) => setTotp(e.target.value)}
              />
              <p id="totp-help" className="help">
                {t('signIn.totpHelp')}
              </p>
            </>
          )}
          <button type="submit" className="primary" disabled={busy}>
            {t('signIn.submit')}
          </button>
          {!askTotp && (
            <p className="below-form">
              <Link to="/reset-password">{t('signIn.forgot')}</Link>
            </p>
          )}
          {askTotp && (
            <button
              type="button"
              className="link"
              onClick={() => {
                setAskTotp(false);
                setTotp('');
                setPassword('');
                setError('');
              }}
            >
              {t('signIn.otherAccount')}
            </button>
          )}
        </form>
      </main>
    </div>
  );
}
