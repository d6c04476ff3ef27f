// The frame of an administration list: search, filters, sortable columns, paging, and — when the
// role may — a form to create, a form to edit a row, and removing a row. Each resource's page
// says its columns, fields and routes; the behaviour is the same everywhere.
import { useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { EntityForm, type FieldSpec } from '../../components/EntityForm';
import { errorText } from '../../components/errors';
import { useStepUp } from '../../components/StepUp';
import { ListBody, Pager, SortHeader } from '../../components/ListParts';
import { PAGE_SIZE, useList } from '../../components/useList';

export interface Column<T> {
  label: string;
  sort?: string;
  render: (row: T) => ReactNode;
}

export interface Filter {
  name: string;
  label: string;
  options: readonly { value: string; label: string }[];
}

interface Props<T extends { id: number }> {
  title: string;
  path: string;
  defaultSort: string;
  columns: Column<T>[];
  // Each row's name, for headings and confirmations (shown as text).
  nameOf: (row: T) => string;
  search?: string;
  filters?: Filter[];
  params?: Record<string, string | undefined>;
  empty: string;
  create?: {
    label: string;
    fields: FieldSpec[];
    initial?: Record<string, unknown>;
    transform?: (body: Record<string, unknown>) => Record<string, unknown>;
    // What to tell after creating (e.g. a one-time password, shown once).
    done?: (answer: unknown) => ReactNode;
  };
  edit?: {
    fields: (row: T) => FieldSpec[];
    transform?: (body: Record<string, unknown>, row: T) => Record<string, unknown>;
    path?: (row: T) => string;
  };
  remove?: { label: string; confirm: (row: T) => string; done: string };
  rowActions?: (row: T, reload: () => void, say: (message: ReactNode) => void) => ReactNode;
  // After a row was created, edited or removed here (for what else the page shows).
  onChanged?: () => void;
  children?: ReactNode;
}

export function AdminList<T extends { id: number }>(props: Props<T>) {
  const { t } = useTranslation();
  const searchId = useId();
  const filterId = useId();
  const [q, setQ] = useState('');
  const [sort, setSort] = useState(props.defaultSort);
  const [offset, setOffset] = useState(0);
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<T | null>(null);
  const [message, setMessage] = useState<ReactNode>(null);
  const list = useList<T>(props.path, {
    ...(props.search ? { q: q.trim() } : {}),
    ...filters,
    ...props.params,
    sort,
    offset,
    limit: PAGE_SIZE,
  });
  const say = (m: ReactNode) => setMessage(m);
  // Some changes need a recent sign-in (users: POST and PATCH); the dialog asks when the server does.
  const stepUp = useStepUp();

  async function remove(row: T) {
    if (!props.remove || !window.confirm(props.remove.confirm(row))) return;
    try {
      await api('DELETE', `${props.path}/${row.id}`);
      say(props.remove.done);
      list.reload();
      props.onChanged?.();
    } catch (e) {
      say(errorText(t, e));
    }
  }

  const actions = props.edit || props.remove || props.rowActions;
  return (
    <section aria-labelledby={`${searchId}-title`}>
      <div className="page-head">
        <h2 id={`${searchId}-title`}>{props.title}</h2>
        {props.create && !creating && (
          <button
            type="button"
            className="primary-inline"
            onClick={() => {
              setCreating(true);
              setEditing(null);
              setMessage(null);
            }}
          >
            {props.create.label}
          </button>
        )}
      </div>
      {stepUp.dialog}
      {message && (
        <div className="notice" role="status">
          {message}
        </div>
      )}
      {props.create && creating && (
        <EntityForm
          title={props.create.label}
          submitLabel={t('common.create')}
          fields={props.create.fields}
          initial={props.create.initial}
          onCancel={() => setCreating(false)}
          onSubmit={async (body) => {
            const answer = await stepUp.run(() =>
              api<unknown>('POST', props.path, {
                body: props.create?.transform ? props.create.transform(body) : body,
              }),
            );
            setCreating(false);
            say(props.create?.done ? props.create.done(answer) : t('common.created'));
            list.reload();
            props.onChanged?.();
          }}
        />
      )}
      {props.edit && editing && (
        <EntityForm
          key={editing.id}
          title={t('common.editing', { name: props.nameOf(editing) })}
          submitLabel={t('common.save')}
          fields={props.edit.fields(editing)}
          initial={editing as unknown as Record<string, unknown>}
          changesOnly
          onCancel={() => setEditing(null)}
          onSubmit={async (body) => {
            const edit = props.edit!;
            await stepUp.run(() =>
              api('PATCH', edit.path ? edit.path(editing) : `${props.path}/${editing.id}`, {
                body: edit.transform ? edit.transform(body, editing) : body,
              }),
            );
            setEditing(null);
            say(t('common.saved'));
            list.reload();
            props.onChanged?.();
          }}
        />
      )}
      {props.children}
      {(props.search || props.filters) && (
        <div className="toolbar filters">
          {props.search && (
            <div>
              <label htmlFor={searchId}>{props.search}</label>
              <input
                id={searchId}
                type="search"
                value={q}
                onChange={(e) => {
                  setQ(e.target.value);
                  setOffset(0);
                }}
              />
            </div>
          )}
          {props.filters?.map((f) => (
            <div key={f.name}>
              <label htmlFor={`${filterId}-${f.name}`}>{f.label}</label>
              <select
                id={`${filterId}-${f.name}`}
                value={filters[f.name] ?? ''}
                onChange={(e) => {
                  setFilters({ ...filters, [f.name]: e.target.value });
                  setOffset(0);
                }}
              >
                <option value="">{t('common.all')}</option>
                {f.options.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </div>
          ))}
        </div>
      )}
      <ListBody page={list.page} error={list.error} empty={props.empty}>
        {(page) => (
          <>
            <div className="table-scroll">
              <table className="data">
                <caption className="visually-hidden">{props.title}</caption>
                <thead>
                  <tr>
                    {props.columns.map((c) =>
                      c.sort ? (
                        <SortHeader key={c.label} field={c.sort} sort={sort} onSort={setSort}>
                          {c.label}
                        </SortHeader>
                      ) : (
                        <th key={c.label} scope="col">
                          {c.label}
                        </th>
                      ),
                    )}
                    {actions && (
                      <th scope="col">
                        <span className="visually-hidden">{t('common.actions')}</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((row) => (
                    <tr key={row.id}>
                      {props.columns.map((c, i) =>
                        i === 0 ? (
                          <th key={c.label} scope="row">
                            {c.render(row)}
                          </th>
                        ) : (
                          <td key={c.label}>{c.render(row)}</td>
                        ),
                      )}
                      {actions && (
                        <td className="row-actions">
                          {props.edit && (
                            <button
                              type="button"
                              aria-label={t('common.editNamed', { name: props.nameOf(row) })}
                              onClick={() => {
                                setEditing(row);
                                setCreating(false);
                                setMessage(null);
                              }}
                            >
                              {t('common.edit')}
                            </button>
                          )}
                          {props.rowActions?.(row, list.reload, say)}
                          {props.remove && (
                            <button
                              type="button"
                              className="danger"
                              aria-label={`${props.remove.label}: ${props.nameOf(row)}`}
                              onClick={() => void remove(row)}
                            >
                              {props.remove.label}
                            </button>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} onOffset={setOffset} />
          </>
        )}
      </ListBody>
    </section>
  );
}
