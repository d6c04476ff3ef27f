// Two-factor enrolment: a new secret (QR code and text), a first code to confirm it, then the ten
// recovery codes, shown once.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, isMissingRoute } from '../api/client';
import type { TotpEnrolment as Enrolment } from '../api/types';
import { errorText } from './errors';
import { QrCode } from './QrCode';

// "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to type from the screen.
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export default function TotpEnrolment({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function start() {
    setBusy(true);
    setError('');
    try {
      setEnrolment(await api<Enrolment>('POST', '/api/v1/auth/totp/enroll', { body: {} }));
    } catch (err) {
      if (err instanceof ApiError && err.type === 'totp-already-enabled') onDone();
      else setError(isMissingRoute(err) ? t('common.notOnThisServer') : errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const answer = await api<{ recovery_codes: string[] }>('POST', '/api/v1/auth/totp/confirm', {
        body: { code: code.trim() },
      });
      setRecovery(answer.recovery_codes);
    } catch (err) {
      setCode('');
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  const errorBox = error && (
    <div className="error" role="alert">
      {error}
    </div>
  );

  if (recovery) {
    return (
      <section aria-labelledby="recovery-title">
        <h2 id="recovery-title">{t('totp.recoveryTitle')}</h2>
        <p>{t('totp.recoveryHelp')}</p>
        <ol className="recovery-codes" data-testid="recovery-codes">
          {recovery.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ol>
        <label className="checkbox">
          <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />
          {t('totp.recoverySaved')}
        </label>
        <button type="button" className="primary" disabled={!saved} onClick={onDone}>
          {t('common.continue')}
        </button>
      </section>
    );
  }

  if (!enrolment) {
    return (
      <section>
        {errorBox}
        <p>{t('totp.intro')}</p>
        <button type="button" className="primary" onClick={() => void start()} disabled={busy}>
          {t('totp.start')}
        </button>
      </section>
    );
  }

  return (
    <section>
      {errorBox}
      <p>{t('totp.scan')}</p>
      <QrCode text={enrolment.otpauth_uri} label={t('totp.qrLabel')} />
      <p>
        {t('totp.manual')} <code className="secret" data-testid="totp-secret">{grouped(enrolment.secret)}</code>
      </p>
      <form onSubmit={confirm} aria-busy={busy}>
        <label htmlFor="totp-code">{t('totp.code')}</label>
        <input
          id="totp-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          maxLength={6}
          pattern="[0-9]{6}"
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {t('totp.confirm')}
        </button>
      </form>
    </section>
  );
}
