// Two-factor authentication once it is on: new recovery codes (with a current code), or turning it
// off (password and code; refused where it is mandatory, which the server says).
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useUser } from '../../app/auth';
import { errorText } from '../../components/errors';

const MANDATORY = ['operator-admin', 'tenant-admin'];

export function TotpSettings({ onChanged }: { onChanged: () => void }) {
  const { t } = useTranslation();
  const user = useUser();
  const id = useId();
  const [mode, setMode] = useState<'view' | 'codes' | 'disable'>('view');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function run(e: FormEvent, work: () => Promise<void>) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await work();
      setCode('');
      setPassword('');
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  const codeField = (
    <>
      <label htmlFor={`${id}-code`}>{t('totp.code')}</label>
      <input
        id={`${id}-code`}
        inputMode="numeric"
        autoComplete="one-time-code"
        required
        maxLength={6}
        pattern="[0-9]{6}"
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
    </>
  );

  return (
    <div>
      <p>{t('account.totpOn')}</p>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
      {codes && (
        <>
          <p className="notice" role="status">
            {t('totp.recoveryHelp')}
          </p>
          <ol className="recovery-codes" data-testid="recovery-codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ol>
        </>
      )}
      {mode === 'view' && (
        <div className="actions">
          <button type="button" onClick={() => setMode('codes')}>
            {t('account.newRecoveryCodes')}
          </button>
          {!MANDATORY.includes(user.role) && (
            <button type="button" className="danger" onClick={() => setMode('disable')}>
              {t('account.totpDisable')}
            </button>
          )}
        </div>
      )}
      {mode === 'codes' && (
        <form
          aria-busy={busy}
          onSubmit={(e) =>
            void run(e, async () => {
              const r = await api<{ recovery_codes: string[] }>('POST', '/api/v1/auth/totp/recovery-codes', {
                body: { code: code.trim() },
              });
              setCodes(r.recovery_codes);
              setMode('view');
            })
          }
        >
          <p>{t('account.newRecoveryCodesHelp')}</p>
          {codeField}
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy}>
              {t('account.newRecoveryCodes')}
            </button>
            <button type="button" onClick={() => setMode('view')}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      {mode === 'disable' && (
        <form
          aria-busy={busy}
          onSubmit={(e) =>
            void run(e, async () => {
              await api('POST', '/api/v1/auth/totp/disable', { body: { password, code: code.trim() } });
              setMode('view');
              onChanged();
            })
          }
        >
          <p>{t('account.totpDisableHelp')}</p>
          <label htmlFor={`${id}-password`}>{t('password.current')}</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {codeField}
          <div className="form-actions">
            <button type="submit" className="primary danger" disabled={busy}>
              {t('account.totpDisable')}
            </button>
            <button type="button" onClick={() => setMode('view')}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
