/**
 * Sign-in: email and password, then whichever step the server asks for — a six-digit code from the
 * authenticator app, enrolment of one (the secret shown as text and as an otpauth URI), or a new
 * password. Each step puts the focus on its first field; errors are announced (role="alert").
 */
import {
  Alert,
  Anchor,
  Box,
  Button,
  Code,
  CopyButton,
  Group,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { ApiError, get, post, setCsrfToken } from '../api';
import { type Session, type SessionUser, useSession } from '../session';

type Step =
  | { step: 'credentials' }
  | { step: 'mfa-required' }
  | { step: 'mfa-setup-required'; secret: string; otpauthUrl: string }
  | { step: 'password-change-required' };

type SignInAnswer =
  | { step: 'signed-in'; user: SessionUser; csrfToken: string }
  | { step: 'mfa-required'; csrfToken?: string }
  | { step: 'mfa-setup-required'; secret: string; otpauthUrl: string; csrfToken?: string }
  | { step: 'password-change-required'; csrfToken?: string };

function message(err: unknown): string {
  if (err instanceof ApiError) {
    // 429 (locked) carries the server's message on purpose: when to try again.
    if (err.status === 401) return err.message || 'The email or password is not right.';
    return err.message;
  }
  return 'Something went wrong. Try again.';
}

export function SignInPage() {
  const { signedIn } = useSession();
  const [step, setStep] = useState<Step>({ step: 'credentials' });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  /** Moves to the step the server answered with. */
  async function follow(answer: SignInAnswer | undefined): Promise<void> {
    setError(undefined);
    if (answer && 'csrfToken' in answer && answer.csrfToken) setCsrfToken(answer.csrfToken);
    if (!answer?.step) {
      // A step without a body (e.g. a password change): the session tells where we are.
      signedIn(await get<Session>('/auth/session'));
      return;
    }
    if (answer.step === 'signed-in') signedIn({ user: answer.user, csrfToken: answer.csrfToken });
    else if (answer.step === 'mfa-setup-required')
      setStep({ step: answer.step, secret: answer.secret, otpauthUrl: answer.otpauthUrl });
    else setStep({ step: answer.step });
  }

  async function run(action: () => Promise<SignInAnswer | undefined>): Promise<void> {
    setBusy(true);
    setError(undefined);
    try {
      await follow(await action());
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Box component="main" mih="100vh" bg="gray.0" py={{ base: 'md', sm: 60 }} px="md">
      <Paper maw={440} mx="auto" p={{ base: 'md', sm: 'xl' }} withBorder shadow="sm">
        <Stack gap="md">
          <div>
            <Text fw={700} c="blue.9" size="lg">
              CareLoop
            </Text>
            <Title order={1} size="h2">
              {step.step === 'credentials' && 'Sign in'}
              {step.step === 'mfa-required' && 'Enter your security code'}
              {step.step === 'mfa-setup-required' && 'Set up your authenticator app'}
              {step.step === 'password-change-required' && 'Choose a new password'}
            </Title>
          </div>
          {error && (
            <Alert color="red" role="alert" title="Could not continue">
              {error}
            </Alert>
          )}
          {step.step === 'credentials' && (
            <CredentialsStep
              email={email}
              password={password}
              onEmail={setEmail}
              onPassword={setPassword}
              busy={busy}
              onSubmit={() => run(() => post<SignInAnswer>('/auth/login', { email, password }))}
            />
          )}
          {step.step === 'mfa-required' && (
            <CodeStep busy={busy} onSubmit={(code) => run(() => post<SignInAnswer>('/auth/mfa', { code }))} />
          )}
          {step.step === 'mfa-setup-required' && (
            <>
              <SetupInstructions secret={step.secret} otpauthUrl={step.otpauthUrl} />
              <CodeStep
                busy={busy}
                onSubmit={(code) => run(() => post<SignInAnswer>('/auth/mfa', { code }))}
              />
            </>
          )}
          {step.step === 'password-change-required' && (
            <PasswordStep
              busy={busy}
              onSubmit={(newPassword) =>
                run(() => post<SignInAnswer>('/auth/password', { currentPassword: password, newPassword }))
              }
            />
          )}
          {step.step !== 'credentials' && (
            <Anchor
              component="button"
              type="button"
              size="sm"
              onClick={() => {
                setStep({ step: 'credentials' });
                setError(undefined);
                setPassword('');
              }}
            >
              Start again with a different account
            </Anchor>
          )}
        </Stack>
      </Paper>
    </Box>
  );
}

function CredentialsStep(props: {
  email: string;
  password: string;
  busy: boolean;
  onEmail(v: string): void;
  onPassword(v: string): void;
  onSubmit(): void;
}) {
  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <Stack gap="sm">
        <TextInput
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          data-autofocus
          autoFocus
          value={props.email}
          onChange={(e) => props.onEmail(e.currentTarget.value)}
        />
        <PasswordInput
          label="Password"
          name="password"
          autoComplete="current-password"
          required
          value={props.password}
          onChange={(e) => props.onPassword(e.currentTarget.value)}
        />
        <Button type="submit" loading={props.busy} size="md">
          Sign in
        </Button>
      </Stack>
    </form>
  );
}

function CodeStep(props: { busy: boolean; onSubmit(code: string): void }) {
  const [code, setCode] = useState('');
  const valid = /^\d{6}$/.test(code);
  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        if (valid) props.onSubmit(code);
      }}
    >
      <Stack gap="sm">
        <TextInput
          label="Six-digit code"
          description="Open your authenticator app and type the code it shows for CareLoop."
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          required
          autoFocus
          value={code}
          onChange={(e) => setCode(e.currentTarget.value.replace(/\D/g, '').slice(0, 6))}
          styles={{ input: { fontSize: '1.4rem', letterSpacing: '0.3em', fontFamily: 'monospace' } }}
        />
        <Button type="submit" loading={props.busy} disabled={!valid} size="md">
          Verify
        </Button>
      </Stack>
    </form>
  );
}

function SetupInstructions({ secret, otpauthUrl }: { secret: string; otpauthUrl: string }) {
  return (
    <Stack gap="xs">
      <Text>
        Your account needs a second step at sign-in. Add CareLoop to an authenticator app (for example on your
        phone), then type the six-digit code it shows.
      </Text>
      <Text fw={600}>Key to type into the app:</Text>
      <Group gap="xs" wrap="nowrap" align="center">
        <Code data-testid="totp-secret" fz="md" style={{ wordBreak: 'break-all' }}>
          {secret}
        </Code>
        <CopyButton value={secret}>
          {({ copied, copy }) => (
            // flexShrink 0: the key beside it is long and would squeeze the button's word.
            <Button
              variant="default"
              size="xs"
              onClick={copy}
              aria-label="Copy the key"
              style={{ flexShrink: 0 }}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Text size="sm">
        Or open this setup link on the device with the app:{' '}
        <Anchor href={otpauthUrl} style={{ wordBreak: 'break-all' }}>
          {otpauthUrl}
        </Anchor>
      </Text>
    </Stack>
  );
}

function PasswordStep(props: { busy: boolean; onSubmit(newPassword: string): void }) {
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [touched, setTouched] = useState(false);
  const mismatch = touched && again !== next ? 'The two passwords are not the same.' : undefined;
  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        setTouched(true);
        if (next && next === again) props.onSubmit(next);
      }}
    >
      <Stack gap="sm">
        <Text>You need to choose a new password before you continue.</Text>
        <PasswordInput
          label="New password"
          description="At least 12 characters. A short sentence is easy to remember."
          autoComplete="new-password"
          required
          autoFocus
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
        />
        <PasswordInput
          label="New password again"
          autoComplete="new-password"
          required
          value={again}
          error={mismatch}
          onChange={(e) => setAgain(e.currentTarget.value)}
        />
        <Button type="submit" loading={props.busy} size="md">
          Save the new password
        </Button>
      </Stack>
    </form>
  );
}
