// The vehicle page's operations part: its odometer and engine hours (GET/PUT
// /api/v1/vehicles/{id}/odometer: a manager sets the dashboard reading, the device's counting
// continues from it) and its driver assignments (GET/POST /api/v1/vehicles/{id}/assignments,
// DELETE /api/v1/assignments/{id}: who drives it when no badge is read), periods in the tenant's
// zone.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isMissingRoute } from '../../api/client';
import type { Assignment, Odometer } from '../../api/opsTypes';
import type { Driver } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats, wallClock, zonedTime } from '../../app/time';
import { EntityForm } from '../../components/EntityForm';
import { errorText } from '../../components/errors';
import { ListBody } from '../../components/ListParts';
import { Loading } from '../../components/Loading';
import { useAll, useList } from '../../components/useList';
import '../ops.css';

// `value` from a datetime-local field ("2026-11-26T08:00") in the zone → ISO instant; '' → null.
function instant(value: unknown, zone: string): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const [date, time] = value.split('T');
  return zonedTime(date ?? '', time ?? '', zone).toISOString();
}

function OdometerPart({ vehicleId, writable }: { vehicleId: number; writable: boolean }) {
  const { t } = useTranslation();
  const formats = useFormats();
  const [odometer, setOdometer] = useState<Odometer | null>(null);
  const [error, setError] = useState('');
  const [missing, setMissing] = useState(false);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState('');

  const load = useCallback(() => {
    api<Odometer>('GET', `/api/v1/vehicles/${vehicleId}/odometer`).then(
      (o) => {
        setOdometer(o);
        setError('');
      },
      (e: unknown) => {
        setMissing(isMissingRoute(e));
        setError(errorText(t, e));
      },
    );
  }, [vehicleId, t]);
  useEffect(load, [load]);

  if (missing) return null;
  return (
    <section aria-labelledby="odometer-title">
      <h2 id="odometer-title">{t('assignments.odometerTitle')}</h2>
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
      {!odometer && !error && <Loading />}
      {odometer && (
        <dl className="facts">
          <dt>{t('assignments.odometer')}</dt>
          <dd>
            {odometer.odometer_km === null
              ? t('vehicle.unknown')
              : t('vehicle.km', { km: formats.number(odometer.odometer_km, 1) })}
          </dd>
          <dt>{t('assignments.engineHours')}</dt>
          <dd>{odometer.engine_hours === null ? t('vehicle.unknown') : t('assignments.hours', { h: formats.number(odometer.engine_hours, 1) })}</dd>
          <dt>{t('assignments.setAt')}</dt>
          <dd>{odometer.set_at ? formats.dateTime(odometer.set_at) : t('assignments.neverSet')}</dd>
        </dl>
      )}
      {writable && odometer && !editing && (
        <button type="button" onClick={() => setEditing(true)}>
          {t('assignments.setOdometer')}
        </button>
      )}
      {editing && (
        <EntityForm
          title={t('assignments.setOdometer')}
          submitLabel={t('common.save')}
          fields={[
            { name: 'odometer_km', label: t('assignments.dashboardKm'), kind: 'number', step: 'any', required: true, help: t('assignments.dashboardHelp') },
            { name: 'engine_hours', label: t('assignments.engineHours'), kind: 'number', step: 'any' },
          ]}
          onCancel={() => setEditing(false)}
          onSubmit={async (body) => {
            setOdometer(await api<Odometer>('PUT', `/api/v1/vehicles/${vehicleId}/odometer`, { body }));
            setEditing(false);
            setNotice(t('assignments.odometerSaved'));
            load();
          }}
        />
      )}
    </section>
  );
}

function AssignmentsPart({ vehicleId, writable }: { vehicleId: number; writable: boolean }) {
  const { t } = useTranslation();
  const formats = useFormats();
  const list = useList<Assignment>(`/api/v1/vehicles/${vehicleId}/assignments`, { sort: '-from', limit: 100 });
  const drivers = useAll<Driver>('/api/v1/drivers', { sort: 'name' });
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState('');

  if (list.missing) return null;
  const driverName = (a: Assignment) => a.driver_name ?? drivers.items.find((d) => d.id === a.driver_id)?.name ?? `#${a.driver_id}`;
  const now = wallClock(new Date(), formats.zone);

  async function remove(a: Assignment) {
    if (!window.confirm(t('assignments.deleteConfirm', { name: driverName(a) }))) return;
    try {
      await api('DELETE', `/api/v1/assignments/${a.id}`);
      setNotice(t('common.deleted'));
      list.reload();
    } catch (e) {
      setNotice(errorText(t, e));
    }
  }

  return (
    <section aria-labelledby="assignments-title">
      <div className="page-head">
        <h2 id="assignments-title">{t('assignments.title')}</h2>
        {writable && !adding && (
          <button type="button" onClick={() => setAdding(true)}>
            {t('assignments.add')}
          </button>
        )}
      </div>
      <p className="help">{t('assignments.help')}</p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {adding && (
        <EntityForm
          title={t('assignments.add')}
          submitLabel={t('assignments.assign')}
          fields={[
            {
              name: 'driver_id',
              label: t('assignments.driver'),
              kind: 'select',
              required: true,
              options: drivers.items.map((d) => ({ value: String(d.id), label: d.name })),
            },
            { name: 'from', label: t('assignments.from'), kind: 'datetime', required: true, help: t('common.inZone', { zone: formats.zone }) },
            { name: 'to', label: t('assignments.to'), kind: 'datetime', help: t('assignments.toHelp') },
          ]}
          initial={{ from: `${now.date}T${now.time}` }}
          onCancel={() => setAdding(false)}
          onSubmit={async (body) => {
            await api('POST', `/api/v1/vehicles/${vehicleId}/assignments`, {
              body: { driver_id: Number(body.driver_id), from: instant(body.from, formats.zone), to: instant(body.to, formats.zone) },
            });
            setAdding(false);
            setNotice(t('assignments.added'));
            list.reload();
          }}
        />
      )}
      <ListBody page={list.page} error={list.error} empty={t('assignments.none')}>
        {(page) => (
          <div className="table-scroll">
            <table className="data compact">
              <caption className="visually-hidden">{t('assignments.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('assignments.driver')}</th>
                  <th scope="col">{t('assignments.from')}</th>
                  <th scope="col">{t('assignments.to')}</th>
                  {writable && (
                    <th scope="col">
                      <span className="visually-hidden">{t('common.actions')}</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {page.items.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">{driverName(a)}</th>
                    <td>{formats.dateTime(a.from)}</td>
                    <td>{a.to ? formats.dateTime(a.to) : t('assignments.open')}</td>
                    {writable && (
                      <td className="row-actions">
                        <button
                          type="button"
                          className="danger"
                          aria-label={t('assignments.deleteNamed', { name: driverName(a) })}
                          onClick={() => void remove(a)}
                        >
                          {t('common.delete')}
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListBody>
    </section>
  );
}

export function VehicleOps({ vehicleId, archived }: { vehicleId: number; archived: boolean }) {
  const can = useCan();
  const writable = can('operations.write') && !archived;
  return (
    <div className="columns">
      <OdometerPart vehicleId={vehicleId} writable={writable} />
      <AssignmentsPart vehicleId={vehicleId} writable={writable} />
    </div>
  );
}
