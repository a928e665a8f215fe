/**
 * What a page costs on the wire: every response it received, with the bytes transferred as served
 * (compressed when the server compressed it, headers included, as the browser's network panel counts
 * them). Used by the web app's size budget (test/e2e/web-size.int.test.ts) and its measurement
 * (bench/web-transfer.ts). No vitest here, so a plain script can use it.
 */
import type { Page, Request } from 'playwright-core';

/** One response the page received. */
export interface Transfer {
  /** The URL's path (no origin, no query). */
  path: string;
  /** The browser's resource type: document, script, stylesheet, font, fetch, eventsource, ... */
  type: string;
  /** Body bytes as transferred (compressed when served compressed). */
  body: number;
  /** Response header bytes. */
  headers: number;
  /** content-encoding of the response (gzip, br) or '' when served as is. */
  encoding: string;
}

/** Collects the page's responses from now on; `read()` waits for those still being measured. */
export function recordTransfers(page: Page): { read(): Promise<Transfer[]> } {
  const pending: Promise<Transfer | undefined>[] = [];
  const measure = async (request: Request): Promise<Transfer | undefined> => {
    const response = await request.response();
    if (!response) return undefined;
    const sizes = await request.sizes();
    return {
      path: new URL(request.url()).pathname,
      type: request.resourceType(),
      body: sizes.responseBodySize,
      headers: sizes.responseHeadersSize,
      encoding: (await response.headerValue('content-encoding')) ?? '',
    };
  };
  page.on('requestfinished', (request) => pending.push(measure(request).catch(() => undefined)));
  return {
    read: async () => (await Promise.all(pending)).filter((t): t is Transfer => t !== undefined),
  };
}

/** The app's own files (the HTML page, scripts, styles, fonts): what a build changes. */
export const isAppFile = (t: Transfer): boolean =>
  ['document', 'script', 'stylesheet', 'font'].includes(t.type);

/** Bytes transferred (body and headers) of the responses that pass `filter`. */
export function transferredBytes(
  transfers: Transfer[],
  filter: (t: Transfer) => boolean = () => true,
): number {
  return transfers.filter(filter).reduce((sum, t) => sum + t.body + t.headers, 0);
}
