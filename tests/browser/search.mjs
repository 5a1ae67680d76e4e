// Types each query into the search box of SITE/index.html (from disk, every other request
// blocked) and reports what a reader sees once the excerpts are in: the result count and,
// for each result, its address, title and excerpt.
//
//     node tests/browser/search.mjs SITE_DIR QUERY... > results.json
import { chromium } from "playwright-core";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [site, ...queries] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const report = { errors: [], results: {} };
try {
  const context = await browser.newContext();
  await context.route("**/*", (route) => {
    if (route.request().url().startsWith("file:")) return route.continue();
    report.errors.push(`blocked ${route.request().url()}`);
    return route.abort();
  });
  const tab = await context.newPage();
  tab.on("pageerror", (error) => report.errors.push(error.message));
  tab.on("console", (message) => { if (message.type() === "error") report.errors.push(message.text()); });
  await tab.goto(pathToFileURL(path.join(site, "index.html")).href);
  const box = tab.locator("#search-box");
  for (const query of queries) {
    await box.fill("");
    await box.fill(query);
    await tab.waitForFunction((query) => {
      const list = document.getElementById("search-results");
      return list.getAttribute("data-query") === query &&
        [...list.querySelectorAll(".search-snippet")].every((s) => s.textContent !== "");
    }, query, { timeout: 10000 });
    report.results[query] = await tab.evaluate(() => ({
      status: document.getElementById("search-status").textContent,
      options: [...document.querySelectorAll("#search-results li a")].map((a) => ({
        href: a.getAttribute("href"),
        title: (a.querySelector(".search-title") || a).textContent,
        snippet: (a.querySelector(".search-snippet") || { textContent: "" }).textContent,
        marks: [...a.querySelectorAll("mark")].map((m) => m.textContent),
      })),
    }));
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
