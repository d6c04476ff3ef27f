// Routes. Pages other than sign-in are loaded when first visited, so the first load stays small.
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation } from 'react-router-dom';
import { Loading } from '../components/Loading';
import SignIn from '../pages/SignIn';
import { roleMayUse, type Permission } from './access';
import { AuthProvider, useAuth } from './auth';
import { homeOf, Shell } from './Shell';

const LiveMap = lazy(() => import('../pages/map/LiveMap'));
const Vehicles = lazy(() => import('../pages/vehicles/Vehicles'));
const VehiclePage = lazy(() => import('../pages/vehicles/VehiclePage'));
const History = lazy(() => import('../pages/history/History'));
const Admin = lazy(() => import('../pages/admin/Admin'));
const Devices = lazy(() => import('../pages/admin/Devices'));
const Installations = lazy(() => import('../pages/admin/Installations'));
const Drivers = lazy(() => import('../pages/admin/Drivers'));
const Groups = lazy(() => import('../pages/admin/Groups'));
const Users = lazy(() => import('../pages/admin/Users'));
const Tenants = lazy(() => import('../pages/admin/Tenants'));
const Audit = lazy(() => import('../pages/admin/Audit'));
const Account = lazy(() => import('../pages/account/Account'));
const PasswordReset = lazy(() => import('../pages/PasswordReset'));
const Setup = lazy(() => import('../pages/Setup'));
const Reports = lazy(() => import('../pages/reports/Reports'));
const Alerts = lazy(() => import('../pages/alerts/Alerts'));
const Events = lazy(() => import('../pages/alerts/Events'));
const Inbox = lazy(() => import('../pages/notifications/Inbox'));
const Rules = lazy(() => import('../pages/notifications/Rules'));
const Webhooks = lazy(() => import('../pages/notifications/Webhooks'));
const Deliveries = lazy(() => import('../pages/notifications/Deliveries'));
const NotFound = lazy(() => import('../pages/NotFound'));
const Geofences = lazy(() => import('../pages/geofences/Geofences'));
const Maintenance = lazy(() => import('../pages/maintenance/Maintenance'));
const ProcessingSettings = lazy(() => import('../pages/settings/ProcessingSettings'));

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
    const from = (location.state as { from?: string } | null)?.from ?? homeOf(state.user.role);
    return <Navigate to={from} replace />;
  }
  return <SignIn />;
}

function Home() {
  const { state } = useAuth();
  return <Navigate to={state.status === 'signed-in' ? homeOf(state.user.role) : '/signin'} replace />;
}

// A page the role may not use (an address typed or kept from another account): said, not failed.
// `drivers`: the page is also a driver's (roleMayUse).
function Allowed({ permission, drivers, children }: { permission: Permission; drivers?: boolean; children: ReactNode }) {
  const { state } = useAuth();
  if (state.status === 'signed-in' && !roleMayUse(state.user.role, permission, drivers)) {
    return (
      <Page>
        <NotFound />
      </Page>
    );
  }
  return <Page>{children}</Page>;
}

export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <Routes>
          <Route path="/signin" element={<SignInRoute />} />
          <Route path="/reset-password" element={<Page><PasswordReset /></Page>} />
          <Route element={<RequireSignedIn />}>
            <Route element={<Shell />}>
              <Route index element={<Home />} />
              <Route path="map" element={<Allowed permission="positions.read" drivers><LiveMap /></Allowed>} />
              <Route path="vehicles" element={<Allowed permission="fleet.read"><Vehicles /></Allowed>} />
              <Route path="vehicles/:id" element={<Allowed permission="fleet.read"><VehiclePage /></Allowed>} />
              <Route path="history" element={<Allowed permission="positions.read" drivers><History /></Allowed>} />
              <Route path="geofences" element={<Allowed permission="reports.read"><Geofences /></Allowed>} />
              <Route path="maintenance" element={<Allowed permission="reports.read"><Maintenance /></Allowed>} />
              <Route path="reports" element={<Allowed permission="reports.read"><Reports /></Allowed>} />
              <Route path="alerts" element={<Page><Alerts /></Page>}>
                <Route path="events" element={<Allowed permission="reports.read"><Events /></Allowed>} />
                <Route path="notifications" element={<Allowed permission="reports.read"><Inbox /></Allowed>} />
                <Route path="rules" element={<Allowed permission="reports.read"><Rules /></Allowed>} />
                <Route path="webhooks" element={<Allowed permission="tenant.settings"><Webhooks /></Allowed>} />
                <Route path="deliveries" element={<Allowed permission="tenant.settings"><Deliveries /></Allowed>} />
              </Route>
              <Route path="admin" element={<Page><Admin /></Page>}>
                <Route path="devices" element={<Allowed permission="fleet.read"><Devices /></Allowed>} />
                <Route path="installations" element={<Allowed permission="fleet.read"><Installations /></Allowed>} />
                <Route path="drivers" element={<Allowed permission="fleet.read"><Drivers /></Allowed>} />
                <Route path="groups" element={<Allowed permission="fleet.read"><Groups /></Allowed>} />
                <Route path="users" element={<Allowed permission="users.read"><Users /></Allowed>} />
                <Route path="tenants" element={<Allowed permission="tenants.read"><Tenants /></Allowed>} />
                <Route path="audit" element={<Allowed permission="audit.read"><Audit /></Allowed>} />
                <Route path="settings" element={<Allowed permission="tenant.settings"><ProcessingSettings /></Allowed>} />
              </Route>
              <Route path="account" element={<Page><Account /></Page>} />
              <Route path="*" element={<Page><NotFound /></Page>} />
            </Route>
          </Route>
        </Routes>
      </BrowserRouter>
    </AuthProvider>
  );
}
