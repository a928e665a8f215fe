/**
 * What every form does when it sends: it is busy while the request runs (its button shows a loader
 * and cannot be pressed twice), and when the request fails it shows why — the server's own message
 * (an ApiError names the field and the reason), or the submission's `fallback` for anything else.
 * Checks made before sending set their message with `setError`.
 */
import { useCallback, useState } from 'react';
import { ApiError } from './api';

export interface Submission {
  busy: boolean;
  error: string | undefined;
  setError: (message: string | undefined) => void;
  /** Runs `action` as the form's submission; true when it succeeded. */
  submit: (action: () => Promise<unknown>, fallback?: string) => Promise<boolean>;
}

export function useSubmit(): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = useCallback(async (action: () => Promise<unknown>, fallback?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (err) {
      setError(
        err instanceof ApiError
          ? err.message
          : (fallback ?? (err instanceof Error ? err.message : String(err))),
      );
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, submit };
}
