// Installations (/api/v1/installations): which device was in which vehicle, when. History is
// never rewritten: a device is installed (now or at a past time) and the installation is ended.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import type { Installation, Vehicle } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats } from '../../app/time';
import { errorText } from '../../components/errors';
import { InstallForm } from '../../components/InstallForm';
import { useAll } from '../../components/useList';
import { AdminList } from './AdminList';

export default function Installations() {
  const { t } = useTranslation();
  const can = useCan();
  const formats = useFormats();
  const [installing, setInstalling] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [message, setMessage] = useState('');
  const vehicles = useAll<Vehicle>('/api/v1/vehicles', { sort: 'name', archived: 'true' });
  const names = new Map(vehicles.items.map((v) => [v.id, v.name]));
  const write = can('fleet.write');
  return (
    <>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {write && !installing && (
        <button type="button" className="primary-inline" onClick={() => setInstalling(true)}>
          {t('installations.new')}
        </button>
      )}
      {installing && (
        <InstallForm
          onCancel={() => setInstalling(false)}
          onDone={() => {
            setInstalling(false);
            setMessage(t('installations.installed'));
            setGeneration((g) => g + 1);
            vehicles.reload();
          }}
        />
      )}
      <AdminList<Installation>
        key={generation}
        title={t('admin.installations')}
        path="/api/v1/installations"
        defaultSort="-from"
        empty={t('installations.none')}
        nameOf={(i) => `${names.get(i.vehicle_id) ?? i.vehicle_id} / ${i.imei}`}
        filters={[
          {
            name: 'open',
            label: t('installations.state'),
            options: [
              { value: 'true', label: t('installations.open') },
              { value: 'false', label: t('installations.closed') },
            ],
          },
        ]}
        columns={[
          {
            label: t('installations.vehicle'),
            render: (i) => <Link to={`/vehicles/${i.vehicle_id}`}>{names.get(i.vehicle_id) ?? `#${i.vehicle_id}`}</Link>,
          },
          { label: t('devices.imei'), render: (i) => i.imei },
          { label: t('installations.from'), sort: 'from', render: (i) => formats.dateTime(i.from) },
          { label: t('installations.to'), sort: 'to', render: (i) => (i.to ? formats.dateTime(i.to) : t('installations.current')) },
          { label: t('installations.note'), render: (i) => i.note },
        ]}
        rowActions={
          write
            ? (i, reload, say) =>
                i.to === null && (
                  <button
                    type="button"
                    aria-label={t('installations.endNamed', { name: `${names.get(i.vehicle_id) ?? i.vehicle_id} / ${i.imei}` })}
                    onClick={() => {
                      if (!window.confirm(t('installations.endConfirm'))) return;
                      api('POST', `/api/v1/installations/${i.id}/end`, { body: {} }).then(
                        () => {
                          say(t('installations.ended'));
                          reload();
                        },
                        (e: unknown) => say(errorText(t, e)),
                      );
                    }}
                  >
                    {t('installations.end')}
                  </button>
                )
            : undefined
        }
      />
    </>
  );
}
