/** Routes by sign-in state and role: the sign-in page, the staff shell or the patient portal. */
import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { Redirect, Route, Switch } from 'wouter';
import { UsersPage } from './admin/users-page';
import { AssessmentPage } from './assessments/assessment-page';
import { AuditPage } from './audit/audit-page';
import { CarePlanEditorPage } from './care-plans/care-plan-editor-page';
import { Hl7FeedPage } from './integrations/hl7-feed-page';
import { ReconciliationPage } from './medications/reconciliation-page';
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
import { AccountPage } from './staff/account-page';
import { PatientChartPage } from './staff/patient-chart-page';
import { PatientListPage } from './staff/patient-list-page';
import { TaskDetailPage } from './tasks/task-detail-page';
import { TransitionsBoardPage } from './transitions/transitions-board-page';
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
    </StaffShell>
  );
}
