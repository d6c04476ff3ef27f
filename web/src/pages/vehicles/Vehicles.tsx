// The tenant's vehicles (GET /api/v1/vehicles): search, sort, paging; a new vehicle and archiving
// for the roles that may change the fleet (fleet.write). Each name opens the vehicle's page.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../../api/client';
import type { Group, Vehicle } from '../../api/types';
import { useCan } from '../../app/access';
import { EntityForm } from '../../components/EntityForm';
import { ListBody, Pager, SortHeader } from '../../components/ListParts';
import { PAGE_SIZE, useAll, useList } from '../../components/useList';
import { vehicleFields } from './fields';

export default function Vehicles() {
  const { t } = useTranslation();
  const can = useCan();
  const navigate = useNavigate();
  const searchId = useId();
  const [q, setQ] = useState('');
  const [sort, setSort] = useState('name');
  const [offset, setOffset] = useState(0);
  const [archived, setArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const list = useList<Vehicle>('/api/v1/vehicles', {
    q: q.trim(),
    sort,
    offset,
    limit: PAGE_SIZE,
    archived: archived ? 'true' : undefined,
  });
  const groups = useAll<Group>(creating ? '/api/v1/groups' : null);

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('vehicles.title')}</h1>
        {can('fleet.write') && !creating && (
          <button type="button" className="primary-inline" onClick={() => setCreating(true)}>
            {t('vehicles.new')}
          </button>
        )}
      </div>
      {creating && (
        <EntityForm
          title={t('vehicles.new')}
          submitLabel={t('common.create')}
          fields={vehicleFields(t, groups.items)}
          onCancel={() => setCreating(false)}
          onSubmit={async (body) => {
            const v = await api<Vehicle>('POST', '/api/v1/vehicles', { body });
            navigate(`/vehicles/${v.id}`);
          }}
        />
      )}
      <div className="toolbar">
        <div>
          <label htmlFor={searchId}>{t('vehicles.search')}</label>
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
        <label className="checkbox">
          <input
            type="checkbox"
            checked={archived}
            onChange={(e) => {
              setArchived(e.target.checked);
              setOffset(0);
            }}
          />
          {t('vehicles.showArchived')}
        </label>
      </div>
      <ListBody page={list.page} error={list.error} empty={t('vehicles.none')}>
        {(page) => (
          <>
            <div className="table-scroll">
              <table className="data">
                <caption className="visually-hidden">{t('vehicles.title')}</caption>
                <thead>
                  <tr>
                    <SortHeader field="name" sort={sort} onSort={setSort}>
                      {t('vehicles.name')}
                    </SortHeader>
                    <SortHeader field="plate" sort={sort} onSort={setSort}>
                      {t('vehicles.plate')}
                    </SortHeader>
                    <SortHeader field="make" sort={sort} onSort={setSort}>
                      {t('vehicles.makeModel')}
                    </SortHeader>
                    <SortHeader field="vin" sort={sort} onSort={setSort}>
                      {t('vehicles.vin')}
                    </SortHeader>
                    <th scope="col">{t('vehicles.device')}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((v) => (
                    <tr key={v.id}>
                      <th scope="row">
                        <Link to={`/vehicles/${v.id}`}>{v.name}</Link>
                        {v.archived_at && <span className="badge">{t('vehicles.archived')}</span>}
                      </th>
                      <td>{v.plate}</td>
                      <td>{[v.make, v.model].filter(Boolean).join(' ')}</td>
                      <td>{v.vin}</td>
                      <td>{v.installation?.imei}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} onOffset={setOffset} />
          </>
        )}
      </ListBody>
    </div>
  );
}
