// The signed-in user's own account: who they are, their sessions, their second factor, their
// password and their API tokens.
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAuth, useUser } from '../../app/auth';
import { ChangePassword } from '../../components/ChangePassword';
import { Loading } from '../../components/Loading';
import { Sessions } from './Sessions';
import { Tokens } from './Tokens';
import { TotpSettings } from './TotpSettings';

const TotpEnrolment = lazy(() => import('../../components/TotpEnrolment'));

export default function Account() {
  const { t } = useTranslation();
  const { refresh } = useAuth();
  const user = useUser();
  const [enrolling, setEnrolling] = useState(false);
  return (
    <div className="page narrow">
      <h1>{t('account.title')}</h1>
      <dl className="facts">
        <dt>{t('account.email')}</dt>
        <dd>{user.email}</dd>
        <dt>{t('account.role')}</dt>
        <dd>{t(`roles.${user.role}`)}</dd>
        <dt>{t('account.tenant')}</dt>
        <dd>{user.tenant}</dd>
      </dl>
      <Sessions />
      <section aria-labelledby="totp-title">
        <h2 id="totp-title">{t('account.totpTitle')}</h2>
        {user.totp_enabled ? (
          <TotpSettings onChanged={() => void refresh()} />
        ) : enrolling ? (
          <Suspense fallback={<Loading />}>
            <TotpEnrolment
              onDone={() => {
                setEnrolling(false);
                void refresh();
              }}
            />
          </Suspense>
        ) : (
          <>
            <p>{t('account.totpOff')}</p>
            <button type="button" onClick={() => setEnrolling(true)}>
              {t('account.totpEnable')}
            </button>
          </>
        )}
      </section>
      <section aria-labelledby="password-title">
        <h2 id="password-title">{t('account.passwordTitle')}</h2>
        <ChangePassword onChanged={() => void refresh()} />
      </section>
      <Tokens />
    </div>
  );
}
