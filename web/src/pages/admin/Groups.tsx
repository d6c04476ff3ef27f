// Vehicle groups (/api/v1/groups) and their members (PUT /api/v1/groups/{id}/vehicles).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import type { Group, Vehicle } from '../../api/types';
import { useCan } from '../../app/access';
import { EntityForm, type FieldSpec } from '../../components/EntityForm';
import { useAll } from '../../components/useList';
import { AdminList } from './AdminList';

function Members({ group, onDone }: { group: Group; onDone: (message: string) => void }) {
  const { t } = useTranslation();
  const all = useAll<Vehicle>('/api/v1/vehicles', { sort: 'name' });
  const members = useAll<Vehicle>('/api/v1/vehicles', { group_id: group.id });
  if (!all.page || !members.page) return null;
  return (
    <EntityForm
      title={t('groups.membersOf', { name: group.name })}
      submitLabel={t('common.save')}
      fields={[
        {
          name: 'vehicle_ids',
          label: t('groups.members'),
          kind: 'multi',
          numeric: true,
          options: all.items.map((v) => ({ value: String(v.id), label: v.name })),
        },
      ]}
      initial={{ vehicle_ids: members.items.map((v) => v.id) }}
      onCancel={() => onDone('')}
      onSubmit={async (body) => {
        await api('PUT', `/api/v1/groups/${group.id}/vehicles`, { body: { vehicle_ids: body.vehicle_ids ?? [] } });
        onDone(t('common.saved'));
      }}
    />
  );
}

export default function Groups() {
  const { t } = useTranslation();
  const can = useCan();
  const [members, setMembers] = useState<{ group: Group; reload: () => void; say: (m: string) => void } | null>(null);
  const fields: FieldSpec[] = [{ name: 'name', label: t('groups.name'), required: true, maxLength: 128 }];
  const write = can('fleet.write');
  return (
    <AdminList<Group>
      title={t('admin.groups')}
      path="/api/v1/groups"
      defaultSort="name"
      search={t('groups.search')}
      empty={t('groups.none')}
      nameOf={(g) => g.name}
      columns={[
        { label: t('groups.name'), sort: 'name', render: (g) => g.name },
        { label: t('groups.count'), render: (g) => g.vehicle_count },
      ]}
      create={write ? { label: t('groups.new'), fields } : undefined}
      edit={write ? { fields: () => fields } : undefined}
      remove={
        write
          ? { label: t('common.delete'), confirm: (g) => t('groups.deleteConfirm', { name: g.name }), done: t('common.deleted') }
          : undefined
      }
      rowActions={
        write
          ? (g, reload, say) => (
              <button
                type="button"
                aria-label={t('groups.editMembersOf', { name: g.name })}
                onClick={() => setMembers({ group: g, reload, say })}
              >
                {t('groups.editMembers')}
              </button>
            )
          : undefined
      }
    >
      {members && (
        <Members
          key={members.group.id}
          group={members.group}
          onDone={(message) => {
            if (message) {
              members.say(message);
              members.reload();
            }
            setMembers(null);
          }}
        />
      )}
    </AdminList>
  );
}
