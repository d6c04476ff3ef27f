// The audit log (GET /api/v1/audit), newest first, with filters (action, user, period). It pages
// backwards with before_id ("Older"), as the server asks: the log grows while it is read.
import { useId, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditEntry, AuditPage, Tenant } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats, zonedTime } from '../../app/time';
import { Loading } from '../../components/Loading';
import { useCursorPages } from '../../components/useCursorPages';
import { useAll } from '../../components/useList';

const PAGE = 50;

interface Filters {
  tenant: string; // the operator's choice: one organisation's entries, or all
  action: string;
  actor_user_id: string;
  from: string;
  to: string;
}

export default function Audit() {
  const { t } = useTranslation();
  const formats = useFormats();
  const id = useId();
  const operator = useCan()('tenants.read');
  const tenants = useAll<Tenant>(operator ? '/api/v1/tenants' : null, { sort: 'name' });
  const [draft, setDraft] = useState<Filters>({ tenant: '', action: '', actor_user_id: '', from: '', to: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const query = useMemo(() => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (filters.tenant) q.set('tenant', filters.tenant);
    if (filters.action.trim()) q.set('action', filters.action.trim());
    if (filters.actor_user_id.trim()) q.set('actor_user_id', filters.actor_user_id.trim());
    if (filters.from) q.set('from', zonedTime(filters.from, '00:00', formats.zone).toISOString());
    if (filters.to) {
      const end = new Date(`${filters.to}T00:00:00Z`);
      end.setUTCDate(end.getUTCDate() + 1);
      q.set('to', zonedTime(end.toISOString().slice(0, 10), '00:00', formats.zone).toISOString());
    }
    return q.toString();
  }, [filters, formats.zone]);
  const pages = useCursorPages<AuditPage>('/api/v1/audit', query, 'before_id', (a) => a.next_before_id);
  const { answer, error } = pages;

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
    pages.newest();
  }

  const field = (name: keyof Filters, label: string, type = 'text') => (
    <div>
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        type={type}
        value={draft[name]}
        inputMode={name === 'actor_user_id' ? 'numeric' : undefined}
        onChange={(e) => setDraft({ ...draft, [name]: e.target.value })}
      />
    </div>
  );

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('admin.audit')}</h2>
      <form className="toolbar filters" onSubmit={apply} aria-label={t('audit.filters')}>
        {operator && tenants.page && (
          <div>
            <label htmlFor={`${id}-tenant`}>{t('audit.tenant')}</label>
            <select id={`${id}-tenant`} value={draft.tenant} onChange={(e) => setDraft({ ...draft, tenant: e.target.value })}>
              <option value="">{t('common.all')}</option>
              {tenants.items.map((x) => (
                <option key={x.id} value={x.name}>
                  {x.name}
                </option>
              ))}
            </select>
          </div>
        )}
        {field('action', t('audit.action'))}
        {field('actor_user_id', t('audit.userId'))}
        {field('from', t('audit.from'), 'date')}
        {field('to', t('audit.to'), 'date')}
        <button type="submit">{t('audit.apply')}</button>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : !answer ? (
        <Loading />
      ) : answer.items.length === 0 ? (
        <p className="empty">{t('audit.none')}</p>
      ) : (
        <div className="table-scroll">
          <table className="data audit">
            <caption className="visually-hidden">{t('admin.audit')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.at')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.address')}</th>
                <th scope="col">{t('audit.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {answer.items.map((e: AuditEntry) => (
                <tr key={e.id}>
                  <th scope="row">{formats.dateTime(e.at)}</th>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.actor}</td>
                  <td>{e.target}</td>
                  <td>{e.ip}</td>
                  <td>
                    <code className="detail">{JSON.stringify(e.detail)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label={t('common.pages')}>
        <button type="button" disabled={!pages.hasNewer} onClick={pages.newer}>
          {t('audit.newer')}
        </button>
        <button type="button" disabled={!pages.hasOlder} onClick={pages.older}>
          {t('audit.older')}
        </button>
      </nav>
    </section>
  );
}
