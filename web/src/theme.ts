/**
 * The Mantine theme. Shades are chosen for WCAG AA contrast: white text on the primary colour and
 * "dimmed" text on white both reach 4.5:1 (Mantine's defaults do not).
 */
import { type CSSVariablesResolver, createTheme } from '@mantine/core';

/**
 * Status tones, dark enough for 4.5:1 on white and on light tints (Mantine's green.9 is only 4.4:1).
 * Status is always said in words too; the colour only repeats it.
 */
export const tone = {
  ok: '#1e6b30',
  danger: '#a51d1d',
  warn: '#8a4100',
  info: '#144f8a',
  neutral: '#343a40',
} as const;

export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 8, dark: 5 },
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  defaultRadius: 'sm',
  focusRing: 'auto',
  components: {
    Table: { defaultProps: { verticalSpacing: 6, horizontalSpacing: 'sm' } },
    // Mantine's close buttons are icons: give them a name screen readers can say.
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
    Drawer: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
  },
});

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
    '--mantine-color-anchor': 'var(--mantine-color-blue-8)',
    '--mantine-color-error': 'var(--mantine-color-red-8)',
    // Text on light tints (Alert, light Badge): Mantine's shade-6 text is below 4.5:1.
    '--mantine-color-green-light-color': tone.ok,
    '--mantine-color-red-light-color': tone.danger,
    '--mantine-color-orange-light-color': tone.warn,
    '--mantine-color-blue-light-color': tone.info,
    '--mantine-color-gray-light-color': tone.neutral,
  },
  dark: {},
});
