// The organisation's time zone, which its administrators may change (GET/PATCH
// /api/v1/settings/tenant): reports, quiet hours and maintenance dates follow it, and so does every
// date this application shows (the user is read again after the change).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isMissingRoute } from '../../api/client';
import { useAuth } from '../../app/auth';
import { EntityForm } from '../../components/EntityForm';
import { errorText } from '../../components/errors';
import { Loading } from '../../components/Loading';

interface TenantSettings {
  name: string;
  time_zone: string;
}

export function TenantZone() {
  const { t } = useTranslation();
  const { refresh } = useAuth();
  const [tenant, setTenant] = useState<TenantSettings | null>(null);
  const [error, setError] = useState('');
  const [missing, setMissing] = useState(false);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    api<TenantSettings>('GET', '/api/v1/settings/tenant').then(setTenant, (e: unknown) => {
      setMissing(isMissingRoute(e));
      setError(errorText(t, e));
    });
  }, [t]);

  if (missing) return null;
  return (
    <section aria-labelledby="tenant-zone-title">
      <h2 id="tenant-zone-title">{t('settings.organisation')}</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {!tenant && !error && <Loading />}
      {tenant && (
        <EntityForm
          key={tenant.time_zone}
          title={tenant.name}
          submitLabel={t('common.save')}
          fields={[{ name: 'time_zone', label: t('tenants.timeZone'), required: true, maxLength: 64, help: t('tenants.timeZoneHelp') }]}
          initial={tenant as unknown as Record<string, unknown>}
          changesOnly
          onSubmit={async (body) => {
            if (Object.keys(body).length === 0) return;
            const next = await api<TenantSettings>('PATCH', '/api/v1/settings/tenant', { body });
            setTenant(next);
            setNotice(t('settings.zoneSaved', { zone: next.time_zone }));
            await refresh();
          }}
        />
      )}
    </section>
  );
}
