/// <reference lib="dom" />
// (functions passed to page.evaluate run in the browser)
import type { Locator, Page } from 'playwright-core';

/**
 * Presses Tab (only the keyboard, as a person without a mouse would) until `target` has the focus, and checks
 * that it shows a visible focus indicator.
 */
export async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
  await target.waitFor();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) {
      const visible = await target.evaluate((el) => {
        const s = getComputedStyle(el);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
      });
      if (!visible) throw new Error(`${String(target)}: focused, but without a visible focus indicator`);
      return;
    }
  }
  throw new Error(`${String(target)}: not reached with ${max} presses of Tab`);
}
