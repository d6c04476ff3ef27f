// Users and roles (/api/v1/users): a new user gets a one-time password, shown once, which they
// change at their first sign-in. Roles above one's own are not offered (the server refuses them
// too); the operator works in any tenant, chosen at the top.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ROLES, type Group, type Role, type Tenant, type UserRecord } from '../../api/types';
import { useCan } from '../../app/access';
import { useUser } from '../../app/auth';
import type { FieldSpec } from '../../components/EntityForm';
import { useAll } from '../../components/useList';
import { AdminList } from './AdminList';

const ADMINS: readonly Role[] = ['operator-admin', 'tenant-admin'];

export default function Users() {
  const { t } = useTranslation();
  const can = useCan();
  const me = useUser();
  const operator = can('tenants.read');
  const tenants = useAll<Tenant>(operator ? '/api/v1/tenants' : null, { sort: 'name' });
  const [tenant, setTenant] = useState('');
  const inOwnTenant = !tenant || tenant === me.tenant;
  const groups = useAll<Group>(inOwnTenant && can('fleet.read') ? '/api/v1/groups' : null, { sort: 'name' });
  const rank = (r: Role) => ROLES.length - ROLES.indexOf(r);
  // Roles one may give: not above one's own; operator-admin only in the operator's own tenant.
  const roles = ROLES.filter((r) => rank(r) <= rank(me.role) && (r !== 'operator-admin' || inOwnTenant)).map((r) => ({
    value: r,
    label: t(`roles.${r}`),
  }));
  const groupField: FieldSpec = {
    name: 'group_ids',
    label: t('users.groups'),
    kind: 'multi',
    numeric: true,
    options: groups.items.map((g) => ({ value: String(g.id), label: g.name })),
    help: t('users.groupsHelp'),
  };
  const write = can('users.write');
  const fields = (creating: boolean): FieldSpec[] => [
    ...(creating ? [{ name: 'email', label: t('users.email'), kind: 'email' as const, required: true, maxLength: 254 }] : []),
    { name: 'name', label: t('users.name'), maxLength: 128 },
    { name: 'role', label: t('users.role'), kind: 'select', required: true, options: roles },
    ...(creating ? [] : [{ name: 'disabled', label: t('users.disabled'), kind: 'checkbox' as const }]),
    ...(inOwnTenant ? [groupField] : []),
  ];
  const tenantParams = tenant ? { tenant } : {};
  return (
    <>
      {operator && (
        <div className="toolbar">
          <label htmlFor="users-tenant">{t('users.tenant')}</label>
          <select id="users-tenant" value={tenant} onChange={(e) => setTenant(e.target.value)}>
            <option value="">{t('users.ownTenant', { name: me.tenant })}</option>
            {tenants.items
              .filter((x) => x.name !== me.tenant)
              .map((x) => (
                <option key={x.id} value={x.name}>
                  {x.name}
                </option>
              ))}
          </select>
        </div>
      )}
      <AdminList<UserRecord>
        key={tenant}
        title={t('admin.users')}
        path="/api/v1/users"
        params={tenantParams}
        defaultSort="email"
        search={t('users.search')}
        empty={t('users.none')}
        nameOf={(u) => u.email}
        filters={[
          { name: 'role', label: t('users.role'), options: ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) })) },
          {
            name: 'disabled',
            label: t('users.state'),
            options: [
              { value: 'false', label: t('users.enabled') },
              { value: 'true', label: t('users.disabled') },
            ],
          },
        ]}
        columns={[
          { label: t('users.email'), sort: 'email', render: (u) => u.email },
          { label: t('users.name'), render: (u) => u.name },
          { label: t('users.role'), sort: 'role', render: (u) => t(`roles.${u.role}`) },
          {
            label: t('users.state'),
            render: (u) =>
              [
                u.disabled ? t('users.disabled') : t('users.enabled'),
                u.totp_enabled ? t('users.totp') : '',
                u.must_change_password ? t('users.mustChange') : '',
              ]
                .filter(Boolean)
                .join(' · '),
          },
        ]}
        create={
          write
            ? {
                label: t('users.new'),
                fields: fields(true),
                initial: { role: 'viewer' },
                transform: (body) => (tenant ? { ...body, tenant } : body),
                done: (answer) => {
                  const a = answer as { user: UserRecord; password: string };
                  return (
                    <>
                      <p>{t('users.created', { email: a.user.email })}</p>
                      <p>
                        {t('users.oneTimePassword')} <code className="secret" data-testid="one-time-password">{a.password}</code>
                      </p>
                    </>
                  );
                },
              }
            : undefined
        }
        edit={
          write
            ? {
                fields: (u) => fields(false).filter((f) => f.name !== 'group_ids' || !ADMINS.includes(u.role)),
                path: (u) => `/api/v1/users/${u.id}${tenant ? `?${new URLSearchParams({ tenant })}` : ''}`,
              }
            : undefined
        }
      />
    </>
  );
}
