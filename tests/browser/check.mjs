// Opens a built site from disk in headless Chromium, as a reader would, with every
// request that is not a file:// one blocked, and reports what it finds as JSON:
// axe-core violations (light and dark), console errors, blocked requests, whether the
// theme toggle is remembered, and whether the skip link works from the keyboard.
//
//     node tests/browser/check.mjs SITE_DIR PAGE... > report.json
//
// SCREENSHOTS=DIR also saves each page at desktop and phone widths.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const [site, ...pages] = process.argv.slice(2);
const url = (page) => pathToFileURL(path.join(site, page)).href;
const report = { violations: [], consoleErrors: [], blocked: [], toggle: {}, keyboard: {}, preview: {},
                 overflow: [], search: {} };
const article = pages.find((page) => page.startsWith("articles/") && !page.includes("index") && !/\d{4}/.test(page));

// A browser context at desktop size in which every request that is not a file:// one is blocked
// and reported, and a tab whose errors are reported.
async function openReader(colorScheme) {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
  await context.route("**/*", (route) => {
    const target = route.request().url();
    if (target.startsWith("file:")) return route.continue();
    report.blocked.push(target);
    return route.abort();
  });
  const tab = await context.newPage();
  tab.on("console", (message) => {
    if (message.type() === "error") report.consoleErrors.push(`${tab.url()}: ${message.text()}`);
  });
  tab.on("pageerror", (error) => report.consoleErrors.push(`${tab.url()}: ${error.message}`));
  return [context, tab];
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  for (const scheme of ["light", "dark"]) {
    const [context, tab] = await openReader(scheme);
    for (const page of pages) {
      await tab.goto(url(page));
      await tab.addScriptTag({ path: axePath });
      // preload off: axe would fetch the stylesheets, which file:// refuses (the errors would be axe's, not the site's)
      const result = await tab.evaluate(() => window.axe.run(document, { resultTypes: ["violations"], preload: false }));
      for (const v of result.violations) {
        report.violations.push({ page, scheme, id: v.id, impact: v.impact, help: v.help,
                                 targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) });
      }
      // 200% zoom on a 1280 px window, and a phone: nothing may need sideways scrolling.
      for (const width of [640, 390]) {
        await tab.setViewportSize({ width, height: 900 });
        const wide = await tab.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (wide > 0) report.overflow.push({ page, scheme, width, by: wide });
      }
      await tab.setViewportSize({ width: 1280, height: 900 });
      if (process.env.SCREENSHOTS) {
        const name = page.replace(/[\/.]/g, "_");
        await tab.screenshot({ path: path.join(process.env.SCREENSHOTS, `${name}-${scheme}-desktop.png`), fullPage: false });
        await tab.setViewportSize({ width: 390, height: 844 });
        await tab.screenshot({ path: path.join(process.env.SCREENSHOTS, `${name}-${scheme}-phone.png`), fullPage: false });
        await tab.setViewportSize({ width: 1280, height: 900 });
      }
    }
    await context.close();
  }

  // The theme toggle: shown by its script, pressed, and remembered across pages and reloads.
  const context = await browser.newContext({ colorScheme: "light" });
  const tab = await context.newPage();
  await tab.goto(url(pages[0]));
  const toggle = tab.locator(".theme-toggle");
  report.toggle.visible = await toggle.isVisible();
  report.toggle.before = await tab.evaluate(() => document.documentElement.getAttribute("data-theme"));
  await toggle.click();
  report.toggle.pressed = await toggle.getAttribute("aria-pressed");
  await tab.waitForFunction(() => localStorage.getItem("site-builder-theme") !== null, null, { timeout: 5000 });
  // Chromium hands a localStorage write to pages in other processes asynchronously; in a
  // loaded test run the next page has (rarely) opened before it. A reader is slower: the
  // choice is read again up to five times, 300 ms apart, and the attempts are reported.
  for (report.toggle.attempts = 1; ; report.toggle.attempts++) {
    await tab.goto(url(pages[pages.length - 1]));
    report.toggle.afterNavigation = await tab.evaluate(() => document.documentElement.getAttribute("data-theme"));
    if (report.toggle.afterNavigation === "dark" || report.toggle.attempts === 5) break;
    await tab.waitForTimeout(300);
  }
  report.toggle.background = await tab.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await tab.reload();
  report.toggle.afterReload = await tab.evaluate(() => document.documentElement.getAttribute("data-theme"));
  report.toggle.pressedAfterReload = await tab.locator(".theme-toggle").getAttribute("aria-pressed");

  // The keyboard: the first Tab reaches the skip link, Enter moves focus to the main content.
  await tab.goto(url(pages[0]));
  await tab.keyboard.press("Tab");
  report.keyboard.first = await tab.evaluate(() => document.activeElement.className);
  await tab.keyboard.press("Enter");
  report.keyboard.afterSkip = await tab.evaluate(() => document.activeElement.id);
  await context.close();

  // Search: "/" focuses the box; entities come first, then articles with highlighted words;
  // arrows and Enter open a result, Escape closes them.
  {
    const [context, tab] = await openReader("light");
    await tab.goto(url(pages[0]));
    const box = tab.locator("#search-box");
    report.search.visible = await box.isVisible();
    await tab.keyboard.press("/");
    report.search.slashFocuses = await tab.evaluate(() => document.activeElement.id);
    await tab.keyboard.type("putin");
    // The results of the whole query (not of "p" or "pu" typed on the way), excerpts in.
    const shown = (query) => tab.waitForFunction((query) => {
      const list = document.getElementById("search-results");
      return list.getAttribute("data-query") === query && list.querySelector("li") !== null &&
        [...list.querySelectorAll(".search-snippet")].every((snippet) => snippet.textContent !== "");
    }, query, { timeout: 5000 });
    await shown("putin");
    report.search.options = await tab.locator("#search-results li").allInnerTexts();
    report.search.marks = await tab.locator("#search-results mark").allInnerTexts();
    report.search.status = await tab.locator("#search-status").innerText();
    report.search.expanded = await box.getAttribute("aria-expanded");
    if (process.env.SCREENSHOTS) {
      await tab.screenshot({ path: path.join(process.env.SCREENSHOTS, "search-desktop.png") });
      await tab.setViewportSize({ width: 390, height: 844 });
      await tab.screenshot({ path: path.join(process.env.SCREENSHOTS, "search-phone.png") });
      await tab.setViewportSize({ width: 1280, height: 900 });
    }
    await tab.keyboard.press("ArrowDown");
    report.search.activeDescendant = await box.getAttribute("aria-activedescendant");
    await tab.keyboard.press("Escape");
    report.search.closedByEscape = await tab.locator("#search-results").isHidden();
    await box.fill("");
    await box.type("mutual aid");
    await shown("mutual aid");
    report.search.phrase = await tab.locator("#search-results li").allInnerTexts();
    await tab.keyboard.press("ArrowDown");
    await tab.keyboard.press("Enter");
    await tab.waitForURL((target) => target.href !== url(pages[0]), { timeout: 5000 }).catch(() => {});
    report.search.opened = tab.url();
    await context.close();
  }

  // Entity previews on an article page: hover, keyboard focus, Escape, and nothing moves.
  if (article) {
    const reader = await browser.newContext({ colorScheme: "light", viewport: { width: 1280, height: 900 } });
    const tab = await reader.newPage();
    tab.on("pageerror", (error) => report.consoleErrors.push(`${tab.url()}: ${error.message}`));
    await tab.goto(url(article));
    const link = tab.locator(".article-body a.entity").first();
    const card = tab.locator("#entity-card");
    const paragraph = tab.locator(".article-body p").first();
    const before = await paragraph.boundingBox();
    await link.hover();
    await card.waitFor({ state: "visible", timeout: 3000 }).catch(() => {});  // the cards' script loads first
    report.preview.hover = { visible: await card.isVisible(), text: await card.innerText(),
                             describedBy: await link.getAttribute("aria-describedby") };
    report.preview.textMoved = JSON.stringify(before) !== JSON.stringify(await paragraph.boundingBox());
    const linkBox = await link.boundingBox();
    const cardBox = await card.boundingBox();
    report.preview.belowTheLink = cardBox.y >= linkBox.y + linkBox.height;
    await tab.mouse.move(5, 5);
    await tab.waitForTimeout(400);
    report.preview.afterLeaving = await card.isVisible();
    await link.focus();
    await card.waitFor({ state: "visible", timeout: 3000 }).catch(() => {});
    report.preview.focus = await card.isVisible();
    await tab.keyboard.press("Escape");
    report.preview.afterEscape = await card.isVisible();
    await reader.close();

    const touch = await browser.newContext({ hasTouch: true, isMobile: true, viewport: { width: 390, height: 844 } });
    const phone = await touch.newPage();
    await phone.goto(url(article));
    const tapped = phone.locator(".article-body a.entity").first();
    await tapped.tap();
    await phone.locator("#entity-card").waitFor({ state: "visible", timeout: 3000 }).catch(() => {});
    report.preview.firstTap = { visible: await phone.locator("#entity-card").isVisible(),
                                stayed: phone.url() === url(article) };
    await tapped.tap();
    await phone.waitForURL((target) => target.href !== url(article), { timeout: 5000 }).catch(() => {});
    report.preview.secondTapOpened = phone.url().includes("/entities/");
    await touch.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report, null, 1));
