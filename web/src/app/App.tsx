// Routes. Pages other than sign-in are loaded when first visited, so the first load stays small.
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation } from 'react-router-dom';
import { Loading } from '../components/Loading';
import SignIn from '../pages/SignIn';
import { AuthProvider, useAuth } from './auth';
import { Shell } from './Shell';

const LiveMap = lazy(() => import('../pages/map/LiveMap'));
const Vehicles = lazy(() => import('../pages/Vehicles'));
const Account = lazy(() => import('../pages/Account'));
const Setup = lazy(() => import('../pages/Setup'));
const NotYet = lazy(() => import('../pages/NotYet'));
const NotFound = lazy(() => import('../pages/NotFound'));

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

function RequireSignedIn() {
  const { state } = useAuth();
  const location = useLocation();
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'signed-out') {
    return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  }
  if (state.setup) {
    return (
      <Page>
        <Setup step={state.setup} />
      </Page>
    );
  }
  return <Outlet />;
}

function SignInRoute() {
  const { state } = useAuth();
  const location = useLocation();
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'signed-in') {
    const from = (location.state as { from?: string } | null)?.from ?? '/map';
    return <Navigate to={from} replace />;
  }
  return <SignIn />;
}

export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <Routes>
          <Route path="/signin" element={<SignInRoute />} />
          <Route element={<RequireSignedIn />}>
            <Route element={<Shell />}>
              <Route index element={<Navigate to="/map" replace />} />
              <Route path="map" element={<Page><LiveMap /></Page>} />
              <Route path="vehicles" element={<Page><Vehicles /></Page>} />
              <Route path="history" element={<Page><NotYet titleKey="nav.history" /></Page>} />
              <Route path="reports" element={<Page><NotYet titleKey="nav.reports" /></Page>} />
              <Route path="alerts" element={<Page><NotYet titleKey="nav.alerts" /></Page>} />
              <Route path="admin" element={<Page><NotYet titleKey="nav.admin" /></Page>} />
              <Route path="account" element={<Page><Account /></Page>} />
              <Route path="*" element={<Page><NotFound /></Page>} />
            </Route>
          </Route>
        </Routes>
      </BrowserRouter>
    </AuthProvider>
  );
}
