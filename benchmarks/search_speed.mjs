// Times search queries in headless Chromium on a built site opened from disk (file://).
//
//     node benchmarks/search_speed.mjs SITE_DIR QUERIES_JSON > times.json
//
// For each query: "cold" is the first search on a freshly opened page, typed 150 ms after the
// box is focused, as a reader would (the focus starts loading the index's first two files; the
// terms and article files load now, from disk), and "warm" the same query typed again. A query ends when the
// result count (#search-status) is written, with the titles; the excerpts may follow (cold: the
// time until they are in too). Prints {query: [cold ms, warm ms, status, cold ms with excerpts]}.
import { chromium } from "playwright-core";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [site, queries] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const times = {};
try {
  const context = await browser.newContext();
  await context.route("**/*", (route) => route.request().url().startsWith("file:") ? route.continue() : route.abort());
  const tab = await context.newPage();
  for (const query of JSON.parse(queries)) {
    await tab.goto(pathToFileURL(path.join(site, "index.html")).href);
    await tab.focus("#search-box");
    await tab.waitForTimeout(150);
    const ask = (text) => tab.evaluate((text) => new Promise((resolve) => {
      const input = document.getElementById("search-box");
      const status = document.getElementById("search-status");
      const watch = new MutationObserver(() => {
        watch.disconnect();
        const shown = performance.now() - start;
        const filled = () => [...document.querySelectorAll("#search-results .search-snippet")]
          .every((snippet) => snippet.textContent !== "");
        const wait = () => filled() ? resolve([shown, status.textContent, performance.now() - start])
                                    : requestAnimationFrame(wait);
        wait();
      });
      watch.observe(status, { childList: true, characterData: true, subtree: true });
      input.value = text;
      const start = performance.now();
      input.dispatchEvent(new Event("input"));
    }), text);
    const [cold, , coldFull] = await ask(query);
    await ask("");
    const [warm, status] = await ask(query);
    times[query] = [cold, warm, status, coldFull];
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(times));
