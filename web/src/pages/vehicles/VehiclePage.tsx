// A vehicle's page: what it is doing now (status, last position and its age, speed, odometer,
// ignition, voltages, driver, active alerts — from its latest position, kept live), the device
// installed in it and the history of installations; editing, archiving and installing for the
// roles that may change the fleet.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { api, isMissingRoute } from '../../api/client';
import type { Device, Driver, Group, Installation, Page, Vehicle, VehiclePosition } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats, type Formats } from '../../app/time';
import { EntityForm } from '../../components/EntityForm';
import { errorText } from '../../components/errors';
import { InstallForm } from '../../components/InstallForm';
import { ListBody } from '../../components/ListParts';
import { Loading } from '../../components/Loading';
import { useAll, useList } from '../../components/useList';
import { statusOf } from '../map/status';
import { vehicleFields } from './fields';
import { useLatest } from './useLatest';
import { VehicleOps } from './VehicleOps';

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

// Alerts a dashboard would light: an alarm the device raised, engine fault codes.
function alertsOf(p: VehiclePosition): { key: string; text?: string }[] {
  const out: { key: string; text?: string }[] = [];
  const a = p.attributes;
  if (typeof a.alarm === 'string' && a.alarm) out.push({ key: 'alarm', text: a.alarm });
  if (typeof a.dtc_codes === 'string' && a.dtc_codes) out.push({ key: 'dtc', text: a.dtc_codes });
  else if (num(a.dtc_count)) out.push({ key: 'dtc', text: String(a.dtc_count) });
  return out;
}

function Now({ position, drivers, formats }: { position: VehiclePosition; drivers: Driver[]; formats: Formats }) {
  const { t } = useTranslation();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => setNow(Date.now()), [position]);
  const a = position.attributes;
  const odometer = num(a.odometer_m);
  const battery = num(a.battery_v);
  const external = num(a.external_voltage_v);
  const badge = typeof a.driver_id === 'string' ? a.driver_id : null;
  const driver = badge ? drivers.find((d) => d.badge_id === badge) : undefined;
  const alerts = alertsOf(position);
  const unknown = <span className="muted">{t('vehicle.unknown')}</span>;
  return (
    <>
      <dl className="facts">
        <dt>{t('map.status')}</dt>
        <dd>
          <span className={`dot vm-${statusOf(position, now)}`} aria-hidden="true" /> {t(`status.${statusOf(position, now)}`)}
        </dd>
        <dt>{t('map.lastPosition')}</dt>
        <dd>
          {formats.dateTime(position.time)} ({formats.age(position.time, now)}) —{' '}
          <span className="coords">
            {position.lat.toFixed(5)}, {position.lon.toFixed(5)}
          </span>
        </dd>
        <dt>{t('map.speedLabel')}</dt>
        <dd>{t('map.speed', { speed: formats.number(position.speed_kmh) })}</dd>
        <dt>{t('vehicle.odometer')}</dt>
        <dd>{odometer === null ? unknown : t('vehicle.km', { km: formats.number(odometer / 1000, 1) })}</dd>
        <dt>{t('vehicle.ignition')}</dt>
        <dd>{typeof a.ignition === 'boolean' ? t(a.ignition ? 'vehicle.on' : 'vehicle.off') : unknown}</dd>
        <dt>{t('vehicle.battery')}</dt>
        <dd>{battery === null ? unknown : t('vehicle.volts', { v: formats.number(battery, 1) })}</dd>
        <dt>{t('vehicle.external')}</dt>
        <dd>{external === null ? unknown : t('vehicle.volts', { v: formats.number(external, 1) })}</dd>
        <dt>{t('vehicle.driver')}</dt>
        <dd>{driver ? driver.name : badge ? t('vehicle.unknownBadge', { badge }) : t('vehicle.noDriver')}</dd>
      </dl>
      <h2>{t('vehicle.alerts')}</h2>
      {alerts.length === 0 ? (
        <p>{t('vehicle.noAlerts')}</p>
      ) : (
        <ul className="alerts" aria-label={t('vehicle.alerts')}>
          {alerts.map((al) => (
            <li key={al.key} className="alert-item">
              {t(`vehicle.alert.${al.key}`, { text: al.text })}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export default function VehiclePage() {
  const { t } = useTranslation();
  const { id: idText } = useParams();
  const id = Number(idText);
  const can = useCan();
  const formats = useFormats();
  const [vehicle, setVehicle] = useState<Vehicle | null>(null);
  const [device, setDevice] = useState<Device | null>(null);
  const [error, setError] = useState('');
  const [mode, setMode] = useState<'view' | 'edit' | 'install'>('view');
  const [generation, setGeneration] = useState(0);
  const [notice, setNotice] = useState('');
  const latest = useLatest(id, vehicle?.name, can('positions.read') && vehicle !== null);
  const drivers = useAll<Driver>(can('fleet.read') ? '/api/v1/drivers' : null);
  const groups = useAll<Group>(mode === 'edit' ? '/api/v1/groups' : null);
  const history = useList<Installation>(`/api/v1/vehicles/${id}/installations`, { sort: '-from', limit: 20 });

  useEffect(() => {
    let stopped = false;
    api<Vehicle>('GET', `/api/v1/vehicles/${id}`).then(
      (v) => {
        if (stopped) return;
        setVehicle(v);
        setError('');
        if (v.installation) {
          api<Device>('GET', `/api/v1/devices/${v.installation.device_id}`).then(
            (d) => !stopped && setDevice(d),
            () => undefined,
          );
        } else {
          setDevice(null);
        }
      },
      (e: unknown) => !stopped && setError(isMissingRoute(e) ? t('vehicle.notFound') : errorText(t, e)),
    );
    return () => {
      stopped = true;
    };
  }, [id, generation, t]);

  const changed = (message: string) => {
    setMode('view');
    setNotice(message);
    setGeneration((g) => g + 1);
    history.reload();
  };

  if (error) {
    return (
      <div className="page">
        <p className="error" role="alert">
          {error}
        </p>
        <Link to="/vehicles">{t('vehicle.back')}</Link>
      </div>
    );
  }
  if (!vehicle) return <Loading />;

  const writable = can('fleet.write') && !vehicle.archived_at;
  async function archive() {
    if (!vehicle || !window.confirm(t('vehicle.archiveConfirm', { name: vehicle.name }))) return;
    try {
      await api('DELETE', `/api/v1/vehicles/${vehicle.id}`);
      changed(t('vehicle.archivedNotice'));
    } catch (e) {
      setNotice(errorText(t, e));
    }
  }
  async function endInstallation() {
    if (!vehicle?.installation || !window.confirm(t('installations.endConfirm'))) return;
    try {
      await api('POST', `/api/v1/installations/${vehicle.installation.id}/end`, { body: {} });
      changed(t('installations.ended'));
    } catch (e) {
      setNotice(errorText(t, e));
    }
  }

  return (
    <div className="page vehicle-page">
      <p className="crumbs">
        <Link to="/vehicles">{t('vehicle.back')}</Link>
      </p>
      <div className="page-head">
        <h1>
          {vehicle.name}
          {vehicle.archived_at && <span className="badge">{t('vehicles.archived')}</span>}
        </h1>
        <div className="actions">
          {can('positions.read') && (
            <Link className="button" to={`/history?vehicle=${vehicle.id}`}>
              {t('vehicle.history')}
            </Link>
          )}
          {writable && mode === 'view' && (
            <>
              <button type="button" onClick={() => setMode('edit')}>
                {t('common.edit')}
              </button>
              <button type="button" className="danger" onClick={() => void archive()}>
                {t('vehicle.archive')}
              </button>
            </>
          )}
        </div>
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {mode === 'edit' && groups.page && (
        <EntityForm
          title={t('vehicle.edit')}
          submitLabel={t('common.save')}
          fields={[
            ...vehicleFields(t, groups.items),
            // The vehicle's own overspeed limit (null: the tenant's default), where the server has it.
            ...('speed_limit_kmh' in vehicle
              ? [{ name: 'speed_limit_kmh', label: t('assignments.speedLimit'), kind: 'number' as const, step: 'any', help: t('assignments.speedLimitHelp') }]
              : []),
          ]}
          initial={vehicle as unknown as Record<string, unknown>}
          changesOnly
          onCancel={() => setMode('view')}
          onSubmit={async (body) => {
            await api('PATCH', `/api/v1/vehicles/${vehicle.id}`, { body });
            changed(t('common.saved'));
          }}
        />
      )}
      <div className="columns">
        <section aria-labelledby="now-title">
          <h2 id="now-title">{t('vehicle.now')}</h2>
          {latest.state === 'loading' ? (
            <Loading />
          ) : latest.state === 'known' ? (
            <Now position={latest.position} drivers={drivers.items} formats={formats} />
          ) : (
            <p>{latest.state === 'none' ? t('vehicle.noPosition') : t('vehicle.positionsUnavailable')}</p>
          )}
        </section>
        <section aria-labelledby="about-title">
          <h2 id="about-title">{t('vehicle.about')}</h2>
          <dl className="facts">
            <dt>{t('vehicles.plate')}</dt>
            <dd>{vehicle.plate}</dd>
            <dt>{t('vehicles.vin')}</dt>
            <dd>{vehicle.vin}</dd>
            <dt>{t('vehicles.makeModel')}</dt>
            <dd>{[vehicle.make, vehicle.model].filter(Boolean).join(' ')}</dd>
            <dt>{t('vehicles.saleDate')}</dt>
            <dd>{formats.date(vehicle.sale_date)}</dd>
            <dt>{t('vehicles.insuranceDate')}</dt>
            <dd>{formats.date(vehicle.insurance_date)}</dd>
            {'speed_limit_kmh' in vehicle && (
              <>
                <dt>{t('assignments.speedLimit')}</dt>
                <dd>
                  {vehicle.speed_limit_kmh == null
                    ? t('assignments.tenantDefault')
                    : t('map.speed', { speed: formats.number(vehicle.speed_limit_kmh) })}
                </dd>
              </>
            )}
          </dl>
          <h2>{t('vehicle.device')}</h2>
          {vehicle.installation ? (
            <>
              <dl className="facts">
                <dt>{t('devices.imei')}</dt>
                <dd>{vehicle.installation.imei}</dd>
                {device && (
                  <>
                    <dt>{t('devices.name')}</dt>
                    <dd>{device.name}</dd>
                    <dt>{t('devices.protocol')}</dt>
                    <dd>{device.protocol}</dd>
                    <dt>{t('devices.model')}</dt>
                    <dd>{device.model}</dd>
                  </>
                )}
                <dt>{t('installations.since')}</dt>
                <dd>{formats.dateTime(vehicle.installation.from)}</dd>
              </dl>
              {writable && (
                <button type="button" onClick={() => void endInstallation()}>
                  {t('installations.end')}
                </button>
              )}
            </>
          ) : (
            <>
              <p>{t('vehicle.noDevice')}</p>
              {writable && mode === 'view' && (
                <button type="button" onClick={() => setMode('install')}>
                  {t('installations.new')}
                </button>
              )}
            </>
          )}
          {mode === 'install' && (
            <InstallForm vehicleId={vehicle.id} onCancel={() => setMode('view')} onDone={() => changed(t('installations.installed'))} />
          )}
        </section>
      </div>
      <VehicleOps vehicleId={vehicle.id} archived={vehicle.archived_at !== null} />
      <section aria-labelledby="installs-title">
        <h2 id="installs-title">{t('installations.history')}</h2>
        <ListBody page={history.page as Page<Installation> | null} error={history.error} empty={t('installations.none')}>
          {(page) => (
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">{t('devices.imei')}</th>
                  <th scope="col">{t('installations.from')}</th>
                  <th scope="col">{t('installations.to')}</th>
                  <th scope="col">{t('installations.note')}</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((i) => (
                  <tr key={i.id}>
                    <td>{i.imei}</td>
                    <td>{formats.dateTime(i.from)}</td>
                    <td>{i.to ? formats.dateTime(i.to) : t('installations.current')}</td>
                    <td>{i.note}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </ListBody>
      </section>
    </div>
  );
}
