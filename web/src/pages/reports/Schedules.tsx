// The user's scheduled reports (/api/v1/reports/schedules): mailed to themself at 06:00 in the
// tenant's zone, daily (the day before) or weekly (the week before, on Mondays), as CSV or XLSX.
// A new schedule takes the report and the filters chosen above (no range: the schedule's period
// is its range). At most 20 per user (the server says so when there are more).
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useFormats } from '../../app/time';
import { errorText } from '../../components/errors';
import { ListBody } from '../../components/ListParts';
import { useList } from '../../components/useList';
import type { ReportKind } from './columns';

interface Schedule {
  id: number;
  report: ReportKind;
  params: Record<string, string | number | boolean>;
  frequency: 'daily' | 'weekly';
  format: 'csv' | 'xlsx';
  next_run_at: string;
  last_run_at: string | null;
  created_at: string;
}

// The filters of the query as a schedule's params (ids as numbers, acknowledged as a boolean).
function paramsOf(report: ReportKind, q: Record<string, string>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const k of ['vehicle_id', 'group_id', 'driver_id']) if (q[k]) out[k] = Number(q[k]);
  if (report === 'eco' && q.by) out.by = q.by;
  if (report === 'geofence-visits' && q.geofence_id) out.geofence_id = Number(q.geofence_id);
  if (report === 'events') {
    if (q.type) out.type = q.type;
    if (q.acknowledged) out.acknowledged = q.acknowledged === 'true';
  }
  return out;
}

export function Schedules({ report, params }: { report: ReportKind; params: Record<string, string> }) {
  const { t } = useTranslation();
  const formats = useFormats();
  const id = useId();
  const list = useList<Schedule>('/api/v1/reports/schedules', {});
  const [frequency, setFrequency] = useState<'daily' | 'weekly'>('daily');
  const [format, setFormat] = useState<'csv' | 'xlsx'>('xlsx');
  const [message, setMessage] = useState('');
  const [failed, setFailed] = useState(false);
  if (list.missing) return null;
  const page = list.page && { ...list.page, limit: 20, offset: 0 };
  const chosen = paramsOf(report, params);

  const say = (text: string, isError = false) => {
    setMessage(text);
    setFailed(isError);
  };

  async function add(e: FormEvent) {
    e.preventDefault();
    say('');
    try {
      await api('POST', '/api/v1/reports/schedules', { body: { report, frequency, format, params: chosen } });
      say(t('reports.schedule.added'));
      list.reload();
    } catch (err) {
      say(errorText(t, err), true);
    }
  }

  async function remove(s: Schedule) {
    if (!window.confirm(t('reports.schedule.deleteConfirm', { report: t(`reports.kind.${s.report}`) }))) return;
    say('');
    try {
      await api('DELETE', `/api/v1/reports/schedules/${s.id}`);
      say(t('common.deleted'));
      list.reload();
    } catch (err) {
      say(errorText(t, err), true);
    }
  }

  const paramText = (p: Record<string, unknown>) =>
    Object.entries(p)
      .map(([k, v]) => `${t(`reports.param.${k}`, { defaultValue: k })}: ${String(v)}`)
      .join(', ') || t('reports.schedule.noFilter');

  return (
    <section aria-labelledby={`${id}-title`} className="schedules">
      <h2 id={`${id}-title`}>{t('reports.schedule.title')}</h2>
      <p className="help">{t('reports.schedule.help')}</p>
      <form className="toolbar filters" onSubmit={add} aria-label={t('reports.schedule.new')}>
        <p>
          {t('reports.schedule.this', { report: t(`reports.kind.${report}`) })} ({paramText(chosen)})
        </p>
        <div>
          <label htmlFor={`${id}-frequency`}>{t('reports.schedule.frequency')}</label>
          <select id={`${id}-frequency`} value={frequency} onChange={(e) => setFrequency(e.target.value as 'daily' | 'weekly')}>
            <option value="daily">{t('reports.schedule.daily')}</option>
            <option value="weekly">{t('reports.schedule.weekly')}</option>
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-format`}>{t('reports.schedule.format')}</label>
          <select id={`${id}-format`} value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'xlsx')}>
            <option value="xlsx">XLSX</option>
            <option value="csv">CSV</option>
          </select>
        </div>
        <button type="submit">{t('reports.schedule.add')}</button>
      </form>
      {message && (
        <p className={failed ? 'error' : 'notice'} role={failed ? 'alert' : 'status'}>
          {message}
        </p>
      )}
      <ListBody page={page} error={list.error} empty={t('reports.schedule.none')}>
        {(p) => (
          <div className="table-scroll">
            <table className="data">
              <caption className="visually-hidden">{t('reports.schedule.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('reports.report')}</th>
                  <th scope="col">{t('reports.schedule.filters')}</th>
                  <th scope="col">{t('reports.schedule.frequency')}</th>
                  <th scope="col">{t('reports.schedule.format')}</th>
                  <th scope="col">{t('reports.schedule.next')}</th>
                  <th scope="col">{t('reports.schedule.last')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('common.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((s) => (
                  <tr key={s.id}>
                    <th scope="row">{t(`reports.kind.${s.report}`)}</th>
                    <td>{paramText(s.params)}</td>
                    <td>{t(`reports.schedule.${s.frequency}`)}</td>
                    <td>{s.format.toUpperCase()}</td>
                    <td>{formats.dateTime(s.next_run_at)}</td>
                    <td>{s.last_run_at ? formats.dateTime(s.last_run_at) : t('reports.schedule.never')}</td>
                    <td>
                      <button
                        type="button"
                        className="danger"
                        aria-label={t('reports.schedule.deleteOne', { report: t(`reports.kind.${s.report}`), frequency: t(`reports.schedule.${s.frequency}`) })}
                        onClick={() => void remove(s)}
                      >
                        {t('common.delete')}
                      </button>
                    </td>
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
