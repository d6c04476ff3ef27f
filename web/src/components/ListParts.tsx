// The pieces every list page shares: the pager, a sortable column header, the empty and error
// states.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Page } from '../api/types';
import { Loading } from './Loading';

export function Pager({ page, onOffset }: { page: Page<unknown>; onOffset: (offset: number) => void }) {
  const { t } = useTranslation();
  const { offset, limit, total } = page;
  if (total <= limit && offset === 0) {
    return <p className="pager">{t('common.total', { count: total })}</p>;
  }
  return (
    <nav className="pager" aria-label={t('common.pages')}>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        {t('common.previous')}
      </button>
      <span aria-live="polite">
        {t('common.range', { from: total === 0 ? 0 : offset + 1, to: Math.min(offset + limit, total), total })}
      </span>
      <button type="button" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
        {t('common.next')}
      </button>
    </nav>
  );
}

// A column header that sorts: `sort` is "name" or "-name" (descending), as the API takes it.
export function SortHeader({
  field,
  sort,
  onSort,
  children,
}: {
  field: string;
  sort: string;
  onSort: (sort: string) => void;
  children: ReactNode;
}) {
  const active = sort === field || sort === `-${field}`;
  const descending = sort === `-${field}`;
  return (
    <th scope="col" aria-sort={active ? (descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(active && !descending ? `-${field}` : field)}>
        {children}
        <span aria-hidden="true">{active ? (descending ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );
}

// Loading, an error, or nothing found; else the list itself.
export function ListBody<T>({
  page,
  error,
  empty,
  children,
}: {
  page: Page<T> | null;
  error: string;
  empty: string;
  children: (page: Page<T>) => ReactNode;
}) {
  if (error) {
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  }
  if (!page) return <Loading />;
  if (page.items.length === 0) return <p className="empty">{empty}</p>;
  return <>{children(page)}</>;
}
