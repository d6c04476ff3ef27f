// Step-up: a sensitive change (a webhook, its secret, an API token, a user) needs a recent
// re-authentication in this session (docs/api.md, "Step-up"). `useStepUp().run(call)` makes the
// call; when the server answers 403 step-up-required it asks for the password (and the current
// code when the user has two-factor), sends POST /api/v1/auth/step-up, and makes the call again.
// The server then renews the session's cookies; the client reads the CSRF token from its cookie,
// so the next calls follow without noticing.
import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import { useUser } from '../app/auth';
import { errorText } from './errors';

interface Pending {
  resolve: (ok: boolean) => void;
}

export function useStepUp(): { run: <T>(call: () => Promise<T>) => Promise<T>; dialog: ReactNode } {
  const [pending, setPending] = useState<Pending | null>(null);

  const run = useCallback(async <T,>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 403 || e.type !== 'step-up-required') throw e;
      const ok = await new Promise<boolean>((resolve) => setPending({ resolve }));
      if (!ok) throw e;
      return call();
    }
  }, []);

  const dialog = pending ? (
    <StepUpDialog
      onDone={(ok) => {
        setPending(null);
        pending.resolve(ok);
      }}
    />
  ) : null;
  return { run, dialog };
}

function StepUpDialog({ onDone }: { onDone: (ok: boolean) => void }) {
  const { t } = useTranslation();
  const user = useUser();
  const id = useId();
  const ref = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const body: { password: string; totp?: string } = { password };
      if (user.totp_enabled) body.totp = code.trim();
      await api('POST', '/api/v1/auth/step-up', { body });
      onDone(true);
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={ref}
      className="step-up"
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onDone(false);
      }}
    >
      <form onSubmit={submit} aria-busy={busy}>
        <h2 id={`${id}-title`}>{t('stepUp.title')}</h2>
        <p className="help">{t('stepUp.help')}</p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <label htmlFor={`${id}-password`}>{t('stepUp.password')}</label>
        <input
          id={`${id}-password`}
          type="password"
          autoComplete="current-password"
          required
          autoFocus
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {user.totp_enabled && (
          <>
            <label htmlFor={`${id}-code`}>{t('stepUp.code')}</label>
            <input
              id={`${id}-code`}
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {t('stepUp.confirm')}
          </button>
          <button type="button" onClick={() => onDone(false)}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
