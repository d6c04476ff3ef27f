// Password reset, for a user who cannot sign in: ask for a code by e-mail (the server answers the
// same whatever the address, so the page says "if an account exists"), then enter the code with a
// new password. A link that carries the code (?token=) opens the second step directly.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import { MIN_PASSWORD } from '../components/ChangePassword';
import { errorText } from '../components/errors';
import { LanguagePicker } from '../components/LanguagePicker';

export default function PasswordReset() {
  const { t } = useTranslation();
  const id = useId();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [token, setToken] = useState(params.get('token') ?? '');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const step: 'request' | 'confirm' = sent || params.has('token') ? 'confirm' : 'request';

  async function run(e: FormEvent, work: () => Promise<void>) {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      await work();
    } catch (err) {
      setError(errorText(t, err));
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
        <h1>{t('reset.title')}</h1>
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        {done ? (
          <>
            <p className="notice" role="status">
              {t('reset.done')}
            </p>
            <Link to="/signin">{t('reset.toSignIn')}</Link>
          </>
        ) : step === 'request' ? (
          <form
            aria-busy={busy}
            onSubmit={(e) =>
              void run(e, async () => {
                await api('POST', '/api/v1/auth/password-reset', { body: { email }, quietUnauthorized: true });
                setSent(true);
              })
            }
          >
            <p>{t('reset.requestHelp')}</p>
            <label htmlFor={`${id}-email`}>{t('signIn.email')}</label>
            <input
              id={`${id}-email`}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
            <button type="submit" className="primary" disabled={busy}>
              {t('reset.send')}
            </button>
            <button type="button" className="link" onClick={() => setSent(true)}>
              {t('reset.haveCode')}
            </button>
          </form>
        ) : (
          <form
            aria-busy={busy}
            onSubmit={(e) => {
              if (next !== again) {
                e.preventDefault();
                setError(t('password.mismatch'));
                return;
              }
              void run(e, async () => {
                await api('POST', '/api/v1/auth/password-reset/confirm', {
                  body: { token: token.trim(), new_password: next },
                  quietUnauthorized: true,
                });
                setDone(true);
              });
            }}
          >
            {sent && (
              <p className="notice" role="status">
                {t('reset.sent')}
              </p>
            )}
            <label htmlFor={`${id}-token`}>{t('reset.code')}</label>
            <input
              id={`${id}-token`}
              autoComplete="one-time-code"
              required
              maxLength={64}
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
            <label htmlFor={`${id}-new`}>{t('password.new')}</label>
            <input
              id={`${id}-new`}
              type="password"
              autoComplete="new-password"
              required
              minLength={MIN_PASSWORD}
              aria-describedby={`${id}-rules`}
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
            <p id={`${id}-rules`} className="help">
              {t('password.rules', { count: MIN_PASSWORD })}
            </p>
            <label htmlFor={`${id}-again`}>{t('password.again')}</label>
            <input
              id={`${id}-again`}
              type="password"
              autoComplete="new-password"
              required
              value={again}
              onChange={(e) => setAgain(e.target.value)}
            />
            <button type="submit" className="primary" disabled={busy}>
              {t('reset.confirm')}
            </button>
          </form>
        )}
        {!done && (
          <p>
            <Link to="/signin">{t('reset.toSignIn')}</Link>
          </p>
        )}
      </main>
    </div>
  );
}
