// Changing one's password (POST /api/v1/me/password): at first sign-in with a one-time password,
// and from the account page.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isMissingRoute } from '../api/client';
import { errorText } from './errors';

export const MIN_PASSWORD = 12;

export function ChangePassword({ onChanged }: { onChanged: () => void }) {
  const { t } = useTranslation();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError('');
    setDone(false);
    if (next !== again) {
      setError(t('password.mismatch'));
      return;
    }
    setBusy(true);
    try {
      await api('POST', '/api/v1/me/password', { body: { current_password: current, new_password: next } });
      setCurrent('');
      setNext('');
      setAgain('');
      setDone(true);
      onChanged();
    } catch (err) {
      setError(isMissingRoute(err) ? t('common.notOnThisServer') : errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-busy={busy}>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
      {done && (
        <p className="notice" role="status">
          {t('password.changed')}
        </p>
      )}
      <label htmlFor="current-password">{t('password.current')}</label>
      <input
        id="current-password"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
      />
      <label htmlFor="new-password">{t('password.new')}</label>
      <input
        id="new-password"
        type="password"
        autoComplete="new-password"
        required
        minLength={MIN_PASSWORD}
        aria-describedby="new-password-help"
        value={next}
        onChange={(e) => setNext(e.target.value)}
      />
      <p id="new-password-help" className="help">
        {t('password.rules', { count: MIN_PASSWORD })}
      </p>
      <label htmlFor="again-password">{t('password.again')}</label>
      <input
        id="again-password"
        type="password"
        autoComplete="new-password"
        required
        value={again}
        onChange={(e) => setAgain(e.target.value)}
      />
      <button type="submit" className="primary" disabled={busy}>
        {t('password.submit')}
      </button>
    </form>
  );
}
