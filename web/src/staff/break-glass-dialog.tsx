/**
 * Emergency access ("break the glass"): a clinician who must treat a patient outside their care teams
 * gets time-limited access after stating why. The server logs it and the privacy officer reviews it;
 * the dialog says so before anything is sent.
 */

import { Alert, Button, Group, List, Modal, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation } from 'wouter';
import { post } from '../api';
import { formatDateTime } from '../fhir-format';
import { tone } from '../theme';
import { useSubmit } from '../use-submit';

const MIN_REASON = 10;

export function BreakGlassDialog(props: { onClose(): void; patientId?: string }) {
  const [mrn, setMrn] = useState('');
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const { busy, error, submit: send } = useSubmit();
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const reasonError =
    touched && reason.trim().length < MIN_REASON
      ? `Write at least ${MIN_REASON} characters: what is the emergency?`
      : undefined;
  const mrnError = touched && !props.patientId && !mrn.trim() ? 'Enter the patient’s MRN.' : undefined;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (reason.trim().length < MIN_REASON || (!props.patientId && !mrn.trim())) return;
    await send(async () => {
      const granted = await post<{ patientId: string; expiresAt: string }>('/api/break-glass', {
        ...(props.patientId ? { patientId: props.patientId } : { mrn: mrn.trim() }),
        reason: reason.trim(),
      });
      await client.invalidateQueries();
      props.onClose();
      navigate(`/patients/${granted.patientId}?emergencyUntil=${encodeURIComponent(granted.expiresAt)}`);
    }, 'Emergency access was not granted.');
  }

  return (
    <Modal opened onClose={props.onClose} title="Emergency access (break-the-glass)" size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Text>Use this only when a patient needs care now and is not on one of your care teams.</Text>
          <List size="sm" spacing={4}>
            <List.Item>Access is time-limited and ends on its own.</List.Item>
            <List.Item>Everything you open is logged with your name and the reason you give.</List.Item>
            <List.Item>The privacy officer reviews every emergency access.</List.Item>
          </List>
          {error && (
            <Alert color="red" role="alert" title="Access was not granted">
              {error}
            </Alert>
          )}
          {!props.patientId && (
            <TextInput
              label="Patient MRN"
              required
              autoFocus
              value={mrn}
              error={mrnError}
              onChange={(e) => setMrn(e.currentTarget.value)}
              maw={240}
            />
          )}
          <Textarea
            label="Reason"
            description={`Required, at least ${MIN_REASON} characters. Say what the emergency is.`}
            required
            autoFocus={Boolean(props.patientId)}
            minRows={3}
            autosize
            value={reason}
            error={reasonError}
            onChange={(e) => setReason(e.currentTarget.value)}
          />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" color={tone.danger} loading={busy}>
              Open the record
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** The notice shown on a chart opened through emergency access. */
export function EmergencyNotice({ until }: { until: string }) {
  return (
    <Alert color="red" variant="outline" title="Emergency access" role="status">
      You opened this record through emergency access. It ends at {formatDateTime(until)}, and the privacy
      officer will review it.
    </Alert>
  );
}
