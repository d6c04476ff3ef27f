// Alerts: the events inbox, the user's notifications, and (for those who may) the notification
// rules, webhooks and the delivery log — one tab each, shown to the roles that may use it.
// /alerts opens the first one.
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router-dom';
import { useCan, type Permission } from '../../app/access';

export const ALERT_SECTIONS: readonly { to: string; key: string; permission: Permission }[] = [
  { to: 'events', key: 'alerts.events', permission: 'reports.read' },
  { to: 'notifications', key: 'notifications.inbox', permission: 'reports.read' },
  { to: 'rules', key: 'notifications.rules', permission: 'reports.read' },
  { to: 'webhooks', key: 'notifications.webhooks', permission: 'tenant.settings' },
  { to: 'deliveries', key: 'notifications.deliveries', permission: 'tenant.settings' },
];

export default function Alerts() {
  const { t } = useTranslation();
  const can = useCan();
  const location = useLocation();
  const sections = ALERT_SECTIONS.filter((s) => can(s.permission));
  if (location.pathname.replace(/\/$/, '') === '/alerts' && sections[0]) {
    return <Navigate to={`/alerts/${sections[0].to}`} replace />;
  }
  return (
    <div className="page">
      <h1>{t('nav.alerts')}</h1>
      <nav className="tabs" aria-label={t('alerts.sections')}>
        <ul>
          {sections.map((s) => (
            <li key={s.to}>
              <NavLink to={`/alerts/${s.to}`}>{t(s.key)}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </div>
  );
}
