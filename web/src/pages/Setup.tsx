// What an account must do before anything else (the server's set-up gate): change a one-time
// password, then enrol TOTP where it is mandatory.
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import type { SetupStep } from '../api/client';
import { useAuth } from '../app/auth';
import { ChangePassword } from '../components/ChangePassword';
import { LanguagePicker } from '../components/LanguagePicker';
import { Loading } from '../components/Loading';

const TotpEnrolment = lazy(() => import('../components/TotpEnrolment'));

export default function Setup({ step }: { step: SetupStep }) {
  const { t } = useTranslation();
  const { signOut, refresh } = useAuth();
  return (
    <div className="centered-page">
      <header className="centered-header">
        <span className="brand">fleetd</span>
        <LanguagePicker />
        <button type="button" className="link" onClick={() => void signOut()}>
          {t('nav.signOut')}
        </button>
      </header>
      <main className="card">
        {step === 'password' ? (
          <>
            <h1>{t('setup.passwordTitle')}</h1>
            <p>{t('setup.passwordHelp')}</p>
            <ChangePassword onChanged={() => void refresh()} />
          </>
        ) : (
          <>
            <h1>{t('setup.totpTitle')}</h1>
            <p>{t('setup.totpHelp')}</p>
            <Suspense fallback={<Loading />}>
              <TotpEnrolment onDone={() => void refresh()} />
            </Suspense>
          </>
        )}
      </main>
    </div>
  );
}
