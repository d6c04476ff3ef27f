// The frame of every page once signed in: the navigation (with room for the pages later releases
// add), the language, who is signed in, and the page itself.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useLocation } from 'react-router-dom';
import { LanguagePicker } from '../components/LanguagePicker';
import { LiveNotifications } from '../pages/notifications/LiveNotifications';
import type { Role } from '../api/types';
import { ADMIN_SECTIONS, roleMayUse, type Permission } from './access';
import { useAuth, useUser } from './auth';

// The navigation; an entry shows only to the roles that may use its page (`null`: everyone), and
// to drivers only when `drivers` (the page calls only routes open to drivers: their own vehicle).
export const NAV: readonly { to: string; key: string; permission: Permission | null; drivers?: boolean }[] = [
  { to: '/map', key: 'nav.map', permission: 'positions.read', drivers: true },
  { to: '/vehicles', key: 'nav.vehicles', permission: 'fleet.read' },
  { to: '/history', key: 'nav.history', permission: 'positions.read', drivers: true },
  { to: '/geofences', key: 'geofences.title', permission: 'reports.read' },
  { to: '/maintenance', key: 'maintenance.title', permission: 'reports.read' },
  { to: '/reports', key: 'nav.reports', permission: 'reports.read' },
  { to: '/alerts', key: 'nav.alerts', permission: 'reports.read' },
  { to: '/admin', key: 'nav.admin', permission: null },
  { to: '/account', key: 'nav.account', permission: null, drivers: true },
];

function visible(role: Role, item: (typeof NAV)[number]): boolean {
  if (item.to === '/admin') return ADMIN_SECTIONS.some((s) => roleMayUse(role, s.permission, s.drivers));
  return roleMayUse(role, item.permission, item.drivers);
}

// Where a role lands after signing in: the live map, else administration (the operator's staff,
// who see no positions), else the account.
export function homeOf(role: Role): string {
  return ['/map', '/admin'].find((to) => visible(role, NAV.find((item) => item.to === to)!)) ?? '/account';
}

export function Shell() {
  const { t } = useTranslation();
  const { signOut } = useAuth();
  const user = useUser();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();

  useEffect(() => setMenuOpen(false), [location.pathname]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {t('nav.menu')}
        </button>
        <span className="brand">fleetd</span>
        <span className="topbar-end">
          <LiveNotifications />
          <LanguagePicker />
          <span className="who" title={user.tenant}>
            {user.email}
          </span>
          <button type="button" className="link" onClick={() => void signOut()}>
            {t('nav.signOut')}
          </button>
        </span>
      </header>
      <nav id="main-nav" className={menuOpen ? 'open' : ''} aria-label={t('nav.label')}>
        <ul>
          {NAV.filter((item) => visible(user.role, item)).map((item) => (
            <li key={item.to}>
              <NavLink to={item.to}>{t(item.key)}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
