/** Routes by sign-in state and role: the sign-in page, the staff shell or the patient portal. */
import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { Redirect, Route, Switch } from 'wouter';
import { UsersPage } from './admin/users-page';
import { AuditPage } from './audit/audit-page';
import { CarePlanEditorPage } from './care-plans/care-plan-editor-page';
import { PortalShell } from './portal/portal-shell';
import { canAdminUsers, canAudit, hasWorklist, homeFor, isPortalUser, isStaff } from './roles';
import { useSession } from './session';
import { StaffShell } from './shell/staff-shell';
import { SignInPage } from './sign-in/sign-in-page';
import { AccountPage } from './staff/account-page';
import { PatientChartPage } from './staff/patient-chart-page';
import { PatientListPage } from './staff/patient-list-page';
import { TaskDetailPage } from './tasks/task-detail-page';
import { WorklistPage } from './worklist/worklist-page';

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
      <Switch>
        {hasWorklist(role) && <Route path="/" component={WorklistPage} />}
        {hasWorklist(role) && <Route path="/worklist" component={WorklistPage} />}
        {isStaff(role) && <Route path="/tasks/:id" component={TaskDetailPage} />}
        {isStaff(role) && <Route path="/patients" component={PatientListPage} />}
        {isStaff(role) && <Route path="/patients/:id/care-plans/new" component={CarePlanEditorPage} />}
        {isStaff(role) && <Route path="/patients/:id" component={PatientChartPage} />}
        {canAdminUsers(role) && <Route path="/users" component={UsersPage} />}
        {canAudit(role) && <Route path="/audit-trail" component={AuditPage} />}
        <Route path="/account" component={AccountPage} />
        <Route>
          <Redirect to={homeFor(role)} replace />
        </Route>
      </Switch>
    </StaffShell>
  );
}
