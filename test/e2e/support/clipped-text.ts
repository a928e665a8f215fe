/**
 * Text cut off on screen: "Questions" shown as "Questic" in a button too narrow for the word, an
 * unread count of 12 shown as "1.." in a badge sized for one digit, a button pushed past the edge of
 * a fixed header. Checked on every page the browser tests screenshot (browser.ts `screenshot`), at a
 * desktop's width and a phone's.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Elements whose text is meant to be read whole: links, buttons, tabs, labels, headings, table
 * headers, badges and chips. Text that may be cut on purpose (the whole of it in a title or beside
 * it) is marked `data-may-truncate`.
 */
const wholeText = [
  'a',
  'button',
  '[role="button"]',
  '[role="link"]',
  '[role="tab"]',
  '[role="menuitem"]',
  'label',
  'th',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  '.mantine-Badge-root',
  '.reason-chip',
  '.interpreter-chip',
].join(', ');

/**
 * In-page, two ways text gets cut:
 * 1. inside its own box: an element in a whole-text element hides what overflows it (overflow hidden
 *    or clip, or an ellipsis) while its content is wider or taller than the box;
 * 2. by a box around it: a whole-text element partly outside an ancestor that hides overflow, or
 *    partly off the screen inside a fixed box (a header), where no scrolling brings it back. A scroll
 *    container ends the search: what it cuts, scrolling shows.
 * A string, not a function: this file is compiled without the DOM types.
 */
const findClipped = `(() => {
  const whole = ${JSON.stringify(wholeText)};
  const hides = (overflow) => overflow === 'hidden' || overflow === 'clip';
  const scrolls = (overflow) => overflow === 'auto' || overflow === 'scroll';
  const shown = (el, style) =>
    style.visibility !== 'hidden' &&
    el.getClientRects().length > 0 &&
    !el.closest('[data-may-truncate], .visually-hidden, .mantine-VisuallyHidden-root');
  const textOf = (el) => (el.innerText || '').trim().replace(/\\s+/g, ' ');
  const name = (el) =>
    '"' + textOf(el).slice(0, 60) + '" in <' + el.tagName.toLowerCase() +
    (el.className ? ' class="' + String(el.className).slice(0, 80) + '"' : '') + '>';
  const found = [];

  for (const el of document.body.querySelectorAll('*')) {
    const owner = el.closest(whole);
    if (!owner) continue;
    const style = getComputedStyle(el);
    const cutsX = hides(style.overflowX) || style.textOverflow === 'ellipsis';
    const cutsY = hides(style.overflowY);
    if ((!cutsX && !cutsY) || !shown(el, style) || el.clientWidth <= 1 || !textOf(el)) continue;
    // Heights get a pixel of slack: a line box may reach below its box by a descender's rounding.
    if (cutsX && el.scrollWidth > el.clientWidth)
      found.push(name(owner) + ': content ' + el.scrollWidth + ' px wide in a box of ' + el.clientWidth);
    else if (cutsY && el.scrollHeight > el.clientHeight + 1)
      found.push(name(owner) + ': content ' + el.scrollHeight + ' px tall in a box of ' + el.clientHeight);
  }

  for (const el of document.body.querySelectorAll(whole)) {
    const style = getComputedStyle(el);
    if (!shown(el, style) || !textOf(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1) continue;
    let left = box.left;
    let right = box.right;
    let fixed = style.position === 'fixed';
    for (let a = el.parentElement; a && !fixed; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (scrolls(s.overflowX)) break;
      if (hides(s.overflowX)) {
        const r = a.getBoundingClientRect();
        left = Math.max(left, r.left + a.clientLeft);
        right = Math.min(right, r.left + a.clientLeft + a.clientWidth);
      }
      fixed = s.position === 'fixed';
    }
    if (fixed) {
      left = Math.max(left, 0);
      right = Math.min(right, document.documentElement.clientWidth);
    }
    const seen = right - left;
    // Wholly out of sight (a closed drawer) is hidden, not cut.
    if (seen > 0 && seen < box.width - 1)
      found.push(name(el) + ': ' + Math.round(seen) + ' of its ' + Math.round(box.width) + ' px in sight');
  }
  return found;
})()`;

/** The visible text the page cuts off (see findClipped), each described for a failure message. */
export async function clippedText(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(findClipped);
}

/** Fails when a link, button, badge, label or heading on the page shows its text cut off. */
export async function expectNoClippedText(page: Page, name: string): Promise<void> {
  expect(await clippedText(page), `text cut off on ${name} (${page.viewportSize()?.width} px)`).toEqual([]);
}
