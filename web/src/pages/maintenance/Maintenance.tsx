// Maintenance (/maintenance): what is due (GET /api/v1/reports/maintenance: overdue, due soon, fine,
// worst first, in colour and in words), the plans per vehicle (by distance, engine hours, months or a
// date; created, edited and archived with operations.write), recording a service, and the service log.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import type { MaintenanceDue, MaintenancePlan, ServiceRecord } from '../../api/opsTypes';
import type { Vehicle } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats, wallClock } from '../../app/time';
import { EntityForm, type FieldSpec } from '../../components/EntityForm';
import { ListBody } from '../../components/ListParts';
import { useAll, useList } from '../../components/useList';
import { AdminList } from '../admin/AdminList';
import '../ops.css';

type Numbers = Record<string, unknown>;

// Kilometres on the form, metres in the API; money in units on the form, cents in the API.
function toMetres(body: Numbers, from: string, to: string): Numbers {
  const out = { ...body };
  if (from in out) {
    const v = out[from];
    delete out[from];
    out[to] = typeof v === 'number' ? Math.round(v * 1000) : v;
  }
  return out;
}

function toCents(body: Numbers): Numbers {
  const out = { ...body };
  if ('cost' in out) {
    const v = out.cost;
    delete out.cost;
    out.cost_cents = typeof v === 'number' ? Math.round(v * 100) : v;
  }
  return out;
}

function DueList({ generation, onRecord }: { generation: number; onRecord?: (row: MaintenanceDue) => void }) {
  const { t } = useTranslation();
  const formats = useFormats();
  const due = useList<MaintenanceDue>('/api/v1/reports/maintenance', { limit: 1000 });
  const { reload } = due;
  useEffect(() => {
    if (generation > 0) reload();
  }, [generation, reload]);
  const num = (v: number | null, digits = 0) => (v === null ? '' : formats.number(v, digits));
  return (
    <section aria-labelledby="due-title">
      <h2 id="due-title">{t('maintenance.due')}</h2>
      <ListBody page={due.page} error={due.error} empty={t('maintenance.nothingDue')}>
        {(page) => (
          <div className="table-scroll">
            <table className="data compact due-list">
              <thead>
                <tr>
                  <th scope="col">{t('maintenance.status')}</th>
                  <th scope="col">{t('maintenance.vehicle')}</th>
                  <th scope="col">{t('maintenance.plan')}</th>
                  <th scope="col">{t('maintenance.remainingKm')}</th>
                  <th scope="col">{t('maintenance.remainingHours')}</th>
                  <th scope="col">{t('maintenance.dueDate')}</th>
                  {onRecord && (
                    <th scope="col">
                      <span className="visually-hidden">{t('common.actions')}</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {page.items.map((r) => (
                  <tr key={r.plan_id} className={`due-${r.status}`}>
                    <td>
                      <span className={`due-badge due-${r.status}`}>{t(`maintenance.statuses.${r.status}`)}</span>
                    </td>
                    <td>{r.vehicle_name}</td>
                    <th scope="row">{r.name}</th>
                    <td>{num(r.remaining_km)}</td>
                    <td>{num(r.remaining_engine_h, 1)}</td>
                    <td>
                      {r.due_date ? formats.date(r.due_date) : ''}
                      {r.remaining_days !== null && ` (${t('maintenance.days', { count: r.remaining_days })})`}
                    </td>
                    {onRecord && (
                      <td className="row-actions">
                        <button
                          type="button"
                          aria-label={t('maintenance.recordFor', { plan: r.name, vehicle: r.vehicle_name })}
                          onClick={() => onRecord(r)}
                        >
                          {t('maintenance.record')}
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

export default function Maintenance() {
  const { t, i18n } = useTranslation();
  const can = useCan();
  const formats = useFormats();
  const write = can('operations.write');
  const vehicles = useAll<Vehicle>('/api/v1/vehicles', { sort: 'name' });
  const plans = useAll<MaintenancePlan>('/api/v1/maintenance/plans');
  const [generation, setGeneration] = useState(0);
  const [recording, setRecording] = useState<{ vehicle_id?: number; plan_id?: number } | null>(null);
  const [notice, setNotice] = useState('');
  const changed = () => {
    setGeneration((g) => g + 1);
    plans.reload();
  };

  const vehicleOptions = vehicles.items.map((v) => ({ value: String(v.id), label: v.name }));
  const vehicleName = (id: number) => vehicles.items.find((v) => v.id === id)?.name ?? `#${id}`;
  const planName = (id: number | null) => (id === null ? '' : plans.items.find((p) => p.id === id)?.name ?? `#${id}`);

  const planFields = (create: boolean): FieldSpec[] => [
    ...(create ? [{ name: 'vehicle_id', label: t('maintenance.vehicle'), kind: 'select' as const, required: true, options: vehicleOptions }] : []),
    { name: 'name', label: t('maintenance.planName'), required: true, maxLength: 128, help: t('maintenance.planNameHelp') },
    { name: 'interval_km', label: t('maintenance.intervalKm'), kind: 'number', step: 'any' },
    { name: 'interval_engine_h', label: t('maintenance.intervalHours'), kind: 'number', step: 'any' },
    { name: 'interval_months', label: t('maintenance.intervalMonths'), kind: 'number' },
    { name: 'due_date', label: t('maintenance.dueDateOnce'), kind: 'date' },
    { name: 'warn_km', label: t('maintenance.warnKm'), kind: 'number', step: 'any' },
    { name: 'warn_engine_h', label: t('maintenance.warnHours'), kind: 'number', step: 'any' },
    { name: 'warn_days', label: t('maintenance.warnDays'), kind: 'number' },
    { name: 'last_done_date', label: t('maintenance.lastDoneDate'), kind: 'date' },
    ...(create ? [{ name: 'last_done_odometer_km', label: t('maintenance.lastDoneKm'), kind: 'number' as const, step: 'any' }] : []),
    { name: 'last_done_engine_h', label: t('maintenance.lastDoneHours'), kind: 'number', step: 'any' },
  ];

  const serviceFields: FieldSpec[] = [
    { name: 'vehicle_id', label: t('maintenance.vehicle'), kind: 'select', required: true, options: vehicleOptions },
    {
      name: 'plan_id',
      label: t('maintenance.plan'),
      kind: 'select',
      options: plans.items.map((p) => ({ value: String(p.id), label: `${vehicleName(p.vehicle_id)} — ${p.name}` })),
    },
    { name: 'date', label: t('maintenance.date'), kind: 'date', required: true },
    { name: 'odometer_km', label: t('maintenance.odometerKm'), kind: 'number', step: 'any' },
    { name: 'engine_h', label: t('maintenance.engineHours'), kind: 'number', step: 'any' },
    { name: 'cost', label: t('maintenance.cost'), kind: 'number', step: '0.01' },
    { name: 'currency', label: t('maintenance.currency'), maxLength: 3 },
    { name: 'note', label: t('maintenance.note'), maxLength: 1000 },
  ];

  const money = (cents: number | null, currency: string) => {
    if (cents === null) return '';
    try {
      return new Intl.NumberFormat(i18n.resolvedLanguage, { style: 'currency', currency }).format(cents / 100);
    } catch {
      return `${formats.number(cents / 100, 2)} ${currency}`;
    }
  };

  return (
    <div className="page maintenance">
      <div className="page-head">
        <h1>{t('maintenance.title')}</h1>
        {write && !recording && (
          <button type="button" className="primary-inline" onClick={() => setRecording({})}>
            {t('maintenance.recordService')}
          </button>
        )}
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {recording && (
        <EntityForm
          key={`${recording.vehicle_id}-${recording.plan_id}`}
          title={t('maintenance.recordService')}
          submitLabel={t('maintenance.record')}
          fields={serviceFields}
          // Today in the organisation's zone.
          initial={{ ...recording, date: wallClock(new Date(), formats.zone).date, currency: 'EUR' }}
          onCancel={() => setRecording(null)}
          onSubmit={async (body) => {
            const sent = toCents(toMetres(body, 'odometer_km', 'odometer_m'));
            sent.vehicle_id = Number(sent.vehicle_id);
            if (sent.plan_id !== undefined) sent.plan_id = sent.plan_id === null ? null : Number(sent.plan_id);
            await api('POST', '/api/v1/maintenance/services', { body: sent });
            setRecording(null);
            setNotice(t('maintenance.recorded'));
            changed();
          }}
        />
      )}
      <DueList generation={generation} onRecord={write ? (r) => setRecording({ vehicle_id: r.vehicle_id, plan_id: r.plan_id }) : undefined} />
      <AdminList<MaintenancePlan>
        title={t('maintenance.plans')}
        path="/api/v1/maintenance/plans"
        defaultSort="name"
        empty={t('maintenance.noPlans')}
        nameOf={(p) => p.name}
        filters={[{ name: 'vehicle_id', label: t('maintenance.vehicle'), options: vehicleOptions }]}
        columns={[
          { label: t('maintenance.planName'), sort: 'name', render: (p) => p.name },
          { label: t('maintenance.vehicle'), render: (p) => p.vehicle_name ?? vehicleName(p.vehicle_id) },
          {
            label: t('maintenance.every'),
            render: (p) =>
              [
                p.interval_km !== null && t('maintenance.everyKm', { km: formats.number(p.interval_km) }),
                p.interval_engine_h !== null && t('maintenance.everyHours', { h: formats.number(p.interval_engine_h) }),
                p.interval_months !== null && t('maintenance.everyMonths', { count: p.interval_months }),
                p.due_date && t('maintenance.on', { date: formats.date(p.due_date) }),
              ]
                .filter(Boolean)
                .join(' · '),
          },
          { label: t('maintenance.lastDone'), render: (p) => formats.date(p.last_done_date) },
        ]}
        create={
          write
            ? {
                label: t('maintenance.newPlan'),
                fields: planFields(true),
                transform: (body) => {
                  const sent = toMetres(body, 'last_done_odometer_km', 'last_done_odometer_m');
                  sent.vehicle_id = Number(sent.vehicle_id);
                  return sent;
                },
              }
            : undefined
        }
        onChanged={changed}
        edit={write ? { fields: () => planFields(false) } : undefined}
        remove={
          write
            ? { label: t('maintenance.archive'), confirm: (p) => t('maintenance.archiveConfirm', { name: p.name }), done: t('maintenance.archived') }
            : undefined
        }
      />
      <AdminList<ServiceRecord>
        key={`services-${generation}`}
        title={t('maintenance.log')}
        path="/api/v1/maintenance/services"
        defaultSort="-date"
        empty={t('maintenance.noServices')}
        nameOf={(s) => s.date}
        filters={[{ name: 'vehicle_id', label: t('maintenance.vehicle'), options: vehicleOptions }]}
        columns={[
          { label: t('maintenance.date'), sort: 'date', render: (s) => formats.date(s.date) },
          { label: t('maintenance.vehicle'), render: (s) => s.vehicle_name ?? vehicleName(s.vehicle_id) },
          { label: t('maintenance.plan'), render: (s) => planName(s.plan_id) },
          { label: t('maintenance.odometerKm'), render: (s) => (s.odometer_m === null ? '' : formats.number(s.odometer_m / 1000)) },
          { label: t('maintenance.cost'), render: (s) => money(s.cost_cents, s.currency) },
          { label: t('maintenance.note'), render: (s) => s.note },
        ]}
      />
    </div>
  );
}
