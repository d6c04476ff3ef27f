// Alerts: the events inbox, the user's notifications, and (for those who may) the notification
// rules, webhooks and the delivery log — one tab each, shown to the roles that may use it.
// /alerts opens the first one.
import { SectionTabs, type Section } from '../../components/SectionTabs';

export const ALERT_SECTIONS: readonly Section[] = [
  { to: 'events', key: 'alerts.events', permission: 'reports.read' },
  { to: 'notifications', key: 'notifications.inbox', permission: 'reports.read' },
  { to: 'rules', key: 'notifications.rules', permission: 'reports.read' },
  { to: 'webhooks', key: 'notifications.webhooks', permission: 'tenant.settings' },
  { to: 'deliveries', key: 'notifications.deliveries', permission: 'tenant.settings' },
];

export default function Alerts() {
  return <SectionTabs base="/alerts" titleKey="nav.alerts" labelKey="alerts.sections" sections={ALERT_SECTIONS} />;
}
