// The frame of every page once signed in: the navigation (with room for the pages later releases
// add), the language, who is signed in, and the page itself.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useLocation } from 'react-router-dom';
import { LanguagePicker } from '../components/LanguagePicker';
import { useAuth, useUser } from './auth';

export const NAV = [
  { to: '/map', key: 'nav.map' },
  { to: '/vehicles', key: 'nav.vehicles' },
  { to: '/history', key: 'nav.history' },
  { to: '/reports', key: 'nav.reports' },
  { to: '/alerts', key: 'nav.alerts' },
  { to: '/admin', key: 'nav.admin' },
  { to: '/account', key: 'nav.account' },
] as const;

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
          {NAV.map((item) => (
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
