// Devices (/api/v1/devices). A tenant sees its own and may name them; the operator (devices.admin)
// sees every device, registers new ones, gives them to a tenant or takes them back, disables them,
// and approves the devices that tried to connect unregistered (/api/v1/devices/pending).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import { PROTOCOLS, type Device, type PendingDevice, type Tenant } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats } from '../../app/time';
import { EntityForm, type FieldSpec } from '../../components/EntityForm';
import { ListBody, Pager } from '../../components/ListParts';
import { PAGE_SIZE, useAll, useList } from '../../components/useList';
import { AdminList } from './AdminList';

// The organisations to choose from; typed by name on a server without the tenants routes.
function tenantField(t: (k: string) => string, tenants: Tenant[] | null): FieldSpec {
  const common = { name: 'tenant', label: t('devices.tenant'), help: t('devices.tenantHelp') };
  if (!tenants) return { ...common, maxLength: 64 };
  return { ...common, kind: 'select', options: tenants.map((x) => ({ value: x.name, label: x.name })) };
}

// "" in the tenant select is the operator's stock: null for the API.
function withStock(body: Record<string, unknown>): Record<string, unknown> {
  return 'tenant' in body ? { ...body, tenant: body.tenant === null || body.tenant === '' ? null : body.tenant } : body;
}

function Pending({ tenants, onApproved }: { tenants: Tenant[] | null; onApproved: () => void }) {
  const { t } = useTranslation();
  const formats = useFormats();
  const [offset, setOffset] = useState(0);
  const [approving, setApproving] = useState<PendingDevice | null>(null);
  const [message, setMessage] = useState('');
  const list = useList<PendingDevice>('/api/v1/devices/pending', { sort: '-last_attempt', offset, limit: PAGE_SIZE });
  return (
    <section aria-labelledby="pending-title">
      <h2 id="pending-title">{t('devices.pending')}</h2>
      <p className="help">{t('devices.pendingHelp')}</p>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {approving && (
        <EntityForm
          key={approving.imei}
          title={t('devices.approveNamed', { imei: approving.imei })}
          submitLabel={t('devices.approve')}
          fields={[
            { name: 'name', label: t('devices.name'), maxLength: 128 },
            { name: 'model', label: t('devices.model'), maxLength: 64 },
            tenantField(t, tenants),
          ]}
          onCancel={() => setApproving(null)}
          onSubmit={async (body) => {
            await api('POST', `/api/v1/devices/pending/${encodeURIComponent(approving.imei)}/approve`, { body });
            setApproving(null);
            setMessage(t('devices.approved'));
            list.reload();
            onApproved();
          }}
        />
      )}
      <ListBody page={list.page} error={list.error} empty={t('devices.noPending')}>
        {(page) => (
          <>
            <div className="table-scroll">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">{t('devices.imei')}</th>
                    <th scope="col">{t('devices.protocol')}</th>
                    <th scope="col">{t('devices.lastAttempt')}</th>
                    <th scope="col">{t('devices.attempts')}</th>
                    <th scope="col">{t('devices.address')}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t('common.actions')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((p) => (
                    <tr key={p.imei}>
                      <th scope="row">{p.imei}</th>
                      <td>{p.protocol}</td>
                      <td>{formats.dateTime(p.last_attempt)}</td>
                      <td>{p.attempts}</td>
                      <td>{p.address}</td>
                      <td>
                        <button type="button" onClick={() => setApproving(p)} aria-label={t('devices.approveNamed', { imei: p.imei })}>
                          {t('devices.approve')}
                        </button>
                      </td>
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

export default function Devices() {
  const { t } = useTranslation();
  const can = useCan();
  const operator = can('devices.admin');
  const tenants = useAll<Tenant>(operator && can('tenants.read') ? '/api/v1/tenants' : null, { sort: 'name' });
  const [generation, setGeneration] = useState(0);
  const tenantList = tenants.page ? tenants.items : null;
  // The forms wait for the organisations (or for the server to say it has no such list), so that
  // their field does not change kind under the user's hands.
  const tenantsKnown = tenants.page !== null || tenants.error !== '' || !can('tenants.read');
  const protocols = PROTOCOLS.map((p) => ({ value: p, label: t(`devices.protocols.${p}`) }));
  const statuses = (['active', 'disabled'] as const).map((s) => ({ value: s, label: t(`devices.status.${s}`) }));
  const createFields: FieldSpec[] = [
    { name: 'imei', label: t('devices.imei'), required: true, maxLength: 64, help: t('devices.imeiHelp') },
    { name: 'protocol', label: t('devices.protocol'), kind: 'select', required: true, options: protocols },
    { name: 'name', label: t('devices.name'), maxLength: 128 },
    { name: 'model', label: t('devices.model'), maxLength: 64 },
    { name: 'firmware', label: t('devices.firmware'), maxLength: 64 },
    tenantField(t, tenantList),
  ];
  const editFields = (d: Device): FieldSpec[] =>
    operator
      ? [
          { name: 'name', label: t('devices.name'), maxLength: 128 },
          { name: 'model', label: t('devices.model'), maxLength: 64 },
          { name: 'firmware', label: t('devices.firmware'), maxLength: 64 },
          { name: 'status', label: t('devices.statusLabel'), kind: 'select', required: true, options: statuses },
          ...(d.vehicle_id === null ? [tenantField(t, tenantList)] : []),
        ]
      : [{ name: 'name', label: t('devices.name'), maxLength: 128 }];
  const filters = [
    { name: 'status', label: t('devices.statusLabel'), options: statuses },
    { name: 'protocol', label: t('devices.protocol'), options: protocols },
    ...(operator && tenantList
      ? [
          {
            name: 'tenant',
            label: t('devices.tenant'),
            options: tenantList.map((x) => ({ value: x.name, label: x.name })),
          },
        ]
      : []),
  ];
  return (
    <>
      <AdminList<Device>
        key={generation}
        title={t('admin.devices')}
        path="/api/v1/devices"
        defaultSort="imei"
        search={t('devices.search')}
        empty={t('devices.none')}
        nameOf={(d) => d.name || d.imei}
        filters={filters}
        columns={[
          { label: t('devices.imei'), sort: 'imei', render: (d) => d.imei },
          { label: t('devices.name'), sort: 'name', render: (d) => d.name },
          { label: t('devices.protocol'), render: (d) => t(`devices.protocols.${d.protocol}`) },
          { label: t('devices.statusLabel'), render: (d) => t(`devices.status.${d.status}`) },
          ...(operator ? [{ label: t('devices.tenant'), render: (d: Device) => d.tenant ?? t('devices.stock') }] : []),
          {
            label: t('devices.vehicle'),
            render: (d: Device) =>
              d.vehicle_id === null ? '' : operator ? `#${d.vehicle_id}` : <Link to={`/vehicles/${d.vehicle_id}`}>{t('devices.installed')}</Link>,
          },
          { label: t('devices.model'), sort: 'model', render: (d) => d.model },
        ]}
        create={
          operator && tenantsKnown ? { label: t('devices.new'), fields: createFields, transform: withStock, initial: { protocol: 'teltonika' } } : undefined
        }
        edit={can('fleet.write') || operator ? { fields: editFields, transform: withStock } : undefined}
      />
      {operator && <Pending tenants={tenantList} onApproved={() => setGeneration((g) => g + 1)} />}
    </>
  );
}
