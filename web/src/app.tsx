/** Routes by sign-in state and role: the sign-in page, the staff shell or the patient portal. */
import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { Suspense } from 'react';
import { Redirect, Route, Switch } from 'wouter';
import { lazyNamed, PageSkeleton } from './lazy-page';
import { PortalShell } from './portal/portal-shell';
import {
  canAdminUsers,
  canAudit,
  hasWorklist,
  homeFor,
  isPortalUser,
  isStaff,
  managesIntegrations,
  seesTransitions,
} from './roles';
import { useSession } from './session';
import { StaffShell } from './shell/staff-shell';
import { SignInPage } from './sign-in/sign-in-page';

// Each staff page is its own chunk, loaded on first visit (the shells and the sign-in page are small
// and load with the app; the portal's pages are split in portal/portal-shell.tsx).
const UsersPage = lazyNamed(() => import('./admin/users-page'), 'UsersPage');
const AssessmentPage = lazyNamed(() => import('./assessments/assessment-page'), 'AssessmentPage');
const AuditPage = lazyNamed(() => import('./audit/audit-page'), 'AuditPage');
const CarePlanEditorPage = lazyNamed(
  () => import('./care-plans/care-plan-editor-page'),
  'CarePlanEditorPage',
);
const Hl7FeedPage = lazyNamed(() => import('./integrations/hl7-feed-page'), 'Hl7FeedPage');
const ReconciliationPage = lazyNamed(() => import('./medications/reconciliation-page'), 'ReconciliationPage');
const AccountPage = lazyNamed(() => import('./staff/account-page'), 'AccountPage');
const PatientChartPage = lazyNamed(() => import('./staff/patient-chart-page'), 'PatientChartPage');
const PatientListPage = lazyNamed(() => import('./staff/patient-list-page'), 'PatientListPage');
const TaskDetailPage = lazyNamed(() => import('./tasks/task-detail-page'), 'TaskDetailPage');
const TransitionsBoardPage = lazyNamed(
  () => import('./transitions/transitions-board-page'),
  'TransitionsBoardPage',
);
const WorklistPage = lazyNamed(() => import('./worklist/worklist-page'), 'WorklistPage');

export function App() {
  const { session, loading, error } = useSession();
  if (loading)
    return (
      <Center h="100vh">
        <Loader aria-label="Loading CareLoop" />
      </Center>
    );
  if (error)
    return (
      <Center h="100vh" p="md">
        <Stack maw={420}>
          <Alert color="red" title="CareLoop could not start">
            {error.message}
          </Alert>
          <Button onClick={() => window.location.reload()}>Try again</Button>
        </Stack>
      </Center>
    );
  if (!session) return <SignInPage />;

  const { role } = session.user;
  if (isPortalUser(role)) return <PortalShell />;
  return (
    <StaffShell>
      <Suspense fallback={<PageSkeleton />}>
        <Switch>
          {hasWorklist(role) && <Route path="/" component={WorklistPage} />}
          {hasWorklist(role) && <Route path="/worklist" component={WorklistPage} />}
          {isStaff(role) && <Route path="/tasks/:id" component={TaskDetailPage} />}
          {isStaff(role) && <Route path="/patients" component={PatientListPage} />}
          {seesTransitions(role) && <Route path="/transitions" component={TransitionsBoardPage} />}
          {seesTransitions(role) && (
            <Route path="/medication-reconciliation/:taskId" component={ReconciliationPage} />
          )}
          {isStaff(role) && <Route path="/patients/:id/care-plans/new" component={CarePlanEditorPage} />}
          {isStaff(role) && (
            <Route path="/patients/:id/assessments/new/:instrument" component={AssessmentPage} />
          )}
          {isStaff(role) && <Route path="/patients/:id" component={PatientChartPage} />}
          {canAdminUsers(role) && <Route path="/users" component={UsersPage} />}
          {canAudit(role) && <Route path="/audit-trail" component={AuditPage} />}
          {managesIntegrations(role) && <Route path="/integrations/hl7" component={Hl7FeedPage} />}
          <Route path="/account" component={AccountPage} />
          <Route>
            <Redirect to={homeFor(role)} replace />
          </Route>
        </Switch>
      </Suspense>
    </StaffShell>
  );
}
