/**
 * Code that loads when first shown, each piece in its own chunk (React.lazy), so that the sign-in
 * page and a patient's phone do not download the staff screens or the chart library first. While a
 * page's code arrives, a skeleton stands in for it (UI.md: skeletons while loading).
 */
import { Skeleton, Stack, VisuallyHidden } from '@mantine/core';
import { type ComponentType, type LazyExoticComponent, lazy } from 'react';

/** A named export of a module, loaded on first render: `lazyNamed(() => import('./x'), 'XPage')`. */
// biome-ignore lint/suspicious/noExplicitAny: React.lazy's own bound: a component of any props
export function lazyNamed<K extends string, C extends ComponentType<any>>(
  load: () => Promise<{ [P in K]: C }>,
  name: K,
): LazyExoticComponent<C> {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

/** What a page looks like while its code loads: a heading and a few lines, said as "Loading". */
export function PageSkeleton() {
  return (
    <Stack gap="sm" aria-busy="true" data-testid="page-skeleton">
      <VisuallyHidden role="status">Loading…</VisuallyHidden>
      <Skeleton height={28} width="45%" />
      <Skeleton height={14} width="70%" />
      <Skeleton height={120} />
      <Skeleton height={120} />
    </Stack>
  );
}
