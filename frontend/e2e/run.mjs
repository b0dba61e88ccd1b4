#!/usr/bin/env node
/**
 * End-to-end test of the builder against the real backend, driven in Debian's Chromium by playwright-core.
 *
 * It builds the front end, starts the backend itself (alembic + uvicorn on a free port, a fresh SQLite file
 * and data dir in a temporary folder), then as a user: registers, draws the original example strategy on the
 * canvas, saves it, runs it and watches the stages arrive, opens the code, checks the metrics and the chart,
 * edits the code into something hostile and sees it refused. Screenshots go to frontend/test-artifacts/.
 * The last line printed is `N passed, N failed`; the exit code is non-zero when anything failed.
 *
 * Env: E2E_SKIP_BUILD=1 reuses frontend/dist; CHROMIUM=/path overrides /usr/bin/chromium;
 * E2E_RUN_TIMEOUT_S (default 420) bounds one backtest; E2E_KEEP=1 keeps the temp folder;
 * E2E_BASE_URL=http://127.0.0.1:8000 drives a server that is already running instead of starting one.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = resolve(FRONTEND, "..");
const BACKEND = join(ROOT, "backend");
const VENV_BIN = join(ROOT, ".venv", "bin");
const ARTIFACTS = join(FRONTEND, "test-artifacts");
const RUN_TIMEOUT_MS = Number(process.env.E2E_RUN_TIMEOUT_S ?? 420) * 1000;
const ORIGINAL_RULE = "Enter on a 5% price drop from the 20-day moving average";

const results = [];
let abortRest = null; // set when a step the rest depend on has failed
let onFailure = async () => undefined; // screenshots the page once there is one
const consoleErrors = [];
const failedLoads = [];

function log(msg) {
  process.stdout.write(`${msg}\n`);
}

async function step(name, fn, { critical = false } = {}) {
  if (abortRest) {
    results.push({ name, ok: false });
    log(`FAIL ${name} (not run: "${abortRest}" failed)`);
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    log(`FAIL ${name}: ${(e && e.stack) || e}`);
    await onFailure(`fail-${results.length}`).catch(() => undefined);
    if (critical) abortRest = name;
  }
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitForHealth(base, proc, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`backend exited with code ${proc.exitCode}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`backend did not answer /health within ${timeoutMs / 1000} s`);
}

async function main() {
  rmSync(ARTIFACTS, { recursive: true, force: true }); // no stale screenshots from an earlier run
  mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), "stratcrew-e2e-"));
  const procs = [];
  let browser;
  const backendLog = [];
  try {
    if (!process.env.E2E_SKIP_BUILD) {
      await step("build the front end", () => {
        const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: FRONTEND, encoding: "utf8" });
        check(r.status === 0, `npm run build failed:\n${r.stdout}\n${r.stderr}`);
      }, { critical: true });
    }

    const port = await freePort();
    const base = process.env.E2E_BASE_URL ?? `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      DATABASE_URL: `sqlite+aiosqlite:///${join(tmp, "e2e.db")}`,
      DATA_DIR: tmp,
      FRONTEND_DIST: join(FRONTEND, "dist"),
      NUMBA_CACHE_DIR: process.env.NUMBA_CACHE_DIR ?? join(ROOT, ".cache", "numba"),
      HOME: process.env.HOME ?? tmp,
    };
    mkdirSync(env.NUMBA_CACHE_DIR, { recursive: true });

    if (!process.env.E2E_BASE_URL) await step("start the backend (alembic upgrade head, uvicorn, /health)", async () => {
      const mig = spawnSync(join(VENV_BIN, "alembic"), ["upgrade", "head"], { cwd: BACKEND, env, encoding: "utf8" });
      check(mig.status === 0, `alembic upgrade head failed:\n${mig.stdout}\n${mig.stderr}`);
      const uv = spawn(join(VENV_BIN, "uvicorn"), ["app.main:app", "--host", "127.0.0.1", "--port", String(port), "--no-access-log"], {
        cwd: BACKEND,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true, // its own process group, so the whole tree stops with it
      });
      procs.push(uv);
      for (const s of [uv.stdout, uv.stderr]) s.on("data", (d) => backendLog.push(String(d)));
      await waitForHealth(base, uv, 300_000);
      const index = await fetch(`${base}/`).then((r) => r.text());
      check(index.includes('id="root"'), "the backend does not serve frontend/dist at /");
    }, { critical: true });

    let page;
    const shot = async (name, p = page) => {
      await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
      log(`     screenshot test-artifacts/${name}.png`);
    };

    await step("launch Chromium", async () => {
      // A fresh profile per run; playwright takes it as launchPersistentContext's first argument.
      browser = await chromium.launchPersistentContext(join(tmp, "chromium-profile"), {
        viewport: { width: 1280, height: 800 },
        acceptDownloads: true,
        executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      page = browser.pages()[0] ?? (await browser.newPage());
      page.setDefaultTimeout(20_000);
      onFailure = (name) => shot(name);
      page.on("console", (m) => {
        if (m.type() !== "error") return;
        const text = m.text();
        // Chrome logs every non-2xx fetch; expected refusals (a bad rule, hostile code) are listed, not failed.
        if (text.startsWith("Failed to load resource")) failedLoads.push(text);
        else consoleErrors.push(text);
      });
      page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
      await page.goto(base);
      await page.getByTestId("auth-form").waitFor();
    }, { critical: true });

    const user = `e2e_${Date.now().toString(36)}`;
    await step("register and sign in", async () => {
      await shot("01-sign-in");
      await page.getByTestId("tab-register").click();
      await page.getByTestId("username").fill(user);
      await page.getByTestId("password").fill("correct horse battery staple");
      await page.getByTestId("auth-submit").click();
      await page.getByTestId("strategy-list-page").waitFor();
      check((await page.getByTestId("whoami").textContent()) === user, "the signed-in user is not shown");
      await page.getByTestId("strategies-empty").waitFor();
      await shot("02-strategy-list");
    }, { critical: true });

    await step("build the original example strategy on the canvas", async () => {
      await page.getByTestId("new-blank").click();
      await page.getByTestId("canvas-empty").waitFor();
      await page.getByTestId("strategy-name").fill("Buy the 5% dip under the 20-day MA");
      // Entry node: first a misspelt rule, to see the server's parse error at its position.
      await page.getByTestId("palette-entry_condition").click();
      await page.getByTestId("node-entry").waitFor();
      const rule = page.getByTestId("rule-field-0").getByTestId("rule-input");
      await rule.fill("Enter on a 5% price drop from the 20-day movng average");
      await page.getByTestId("rule-error").waitFor();
      const caret = await page.getByTestId("rule-caret").textContent();
      check(caret && caret.includes("^"), "no caret under the rule");
      await shot("03-rule-parse-error");
      await rule.fill(ORIGINAL_RULE);
      await page.getByTestId("rule-ok").waitFor();
      // Take profit 7 %, stop loss 5 %.
      await page.getByTestId("palette-take_profit").click();
      await page.getByTestId("target-pct").fill("7");
      await page.getByTestId("palette-stop_loss").click();
      await page.getByTestId("stop-pct").fill("5");
      for (const id of ["entry", "tp", "sl"]) await page.getByTestId(`node-${id}`).waitFor();
      check((await page.getByTestId("node-tp").textContent()).includes("+7%"), "take-profit node does not show 7%");
      check((await page.getByTestId("node-sl").textContent()).includes("5%"), "stop-loss node does not show 5%");
      await page.getByTestId("select-entry").click();
      await shot("04-builder");
    }, { critical: true });

    let strategyId = null;
    await step("save the strategy", async () => {
      await page.getByTestId("save").click();
      await page.waitForFunction(() => location.hash.startsWith("#/s/strat_"));
      strategyId = decodeURIComponent((await page.evaluate(() => location.hash)).split("/")[2]);
      await page.getByTestId("save-state").filter({ hasText: /^Saved$/ }).waitFor();
      const token = await page.evaluate(() => sessionStorage.getItem("stratcrew.token"));
      const saved = await fetch(`${base}/strategies/${strategyId}`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.json());
      const types = saved.schema.nodes.map((n) => n.type).sort();
      check(JSON.stringify(types) === JSON.stringify(["entry_condition", "stop_loss", "take_profit"]), `saved node types ${types}`);
      const entry = saved.schema.nodes.find((n) => n.type === "entry_condition");
      check(entry.meta.rules[0] === ORIGINAL_RULE, "the entry rule was not saved verbatim");
      check(saved.schema.nodes.find((n) => n.type === "take_profit").meta.target_pct === 7, "take profit not 7");
      check(saved.schema.nodes.every((n) => n.position && typeof n.position.x === "number"), "node positions not kept");
    }, { critical: true });

    await step("parameters default to SPX 2010-2018 and symbols autocomplete", async () => {
      await page.getByTestId("tab-run").click();
      await page.getByTestId("symbol-chip-SPX").waitFor();
      check((await page.getByTestId("start-date").inputValue()) === "2010-01-01", "start date default");
      check((await page.getByTestId("end-date").inputValue()) === "2018-12-31", "end date default");
      check((await page.getByTestId("capital").inputValue()) === "10000", "capital default");
      check((await page.getByTestId("fees").inputValue()) === "0.001", "fees default");
      await page.waitForFunction(() => document.querySelectorAll("datalist option").length >= 2);
      const options = await page.$$eval("datalist option", (os) => os.map((o) => o.value));
      check(options.includes("SPX") && options.includes("IXIC"), `symbols offered: ${options}`);
    });

    const stagesSeen = new Set();
    let executionId = null;
    await step("run it and watch the stages arrive", async () => {
      await page.getByTestId("execute").click();
      await page.getByTestId("progress").waitFor();
      const until = Date.now() + RUN_TIMEOUT_MS;
      let shotTaken = false;
      for (;;) {
        const status = await page.getByTestId("exec-status").textContent();
        for (const s of ["analyzing", "generating_code", "executing"]) {
          const state = await page.getByTestId(`stage-${s}`).getAttribute("data-state");
          const msgs = await page.getByTestId(`stage-${s}`).getByTestId("stage-message").count();
          if (state !== "pending" || msgs > 0) stagesSeen.add(s);
        }
        if (!shotTaken && stagesSeen.size > 0 && status !== "completed") {
          await shot("05-progress");
          shotTaken = true;
        }
        if (["completed", "failed", "cancelled"].includes(status.trim())) break;
        check(Date.now() < until, `the run did not finish within ${RUN_TIMEOUT_MS / 1000} s (status ${status})`);
        await page.waitForTimeout(250);
      }
      await page.getByTestId("run-outcome").waitFor();
      executionId = (await page.getByTestId("progress").locator("h3 code").textContent()).trim();
      const status = (await page.getByTestId("exec-status").textContent()).trim();
      if (status !== "completed") {
        const err = await page.getByTestId("exec-error").textContent().catch(() => "");
        await shot("05-progress-failed");
        throw new Error(`the run ended ${status}: ${err}`);
      }
      const messages = await page.getByTestId("stage-message").allTextContents();
      check(messages.length >= 3, `only ${messages.length} stage messages arrived`);
      check(stagesSeen.size === 3, `stages seen: ${[...stagesSeen]}`);
      const bar = await page.getByTestId("progress-bar").getAttribute("aria-valuenow");
      check(bar === "100", `progress bar at ${bar}`);
      if (!shotTaken) await shot("05-progress");
      await shot("06-run-completed");
      log(`     ${messages.length} stage messages; first: ${messages[0]}`);
    }, { critical: true });

    await step("open the code and the spec", async () => {
      await page.getByTestId("see-code").click();
      await page.getByTestId("code-panel").waitFor();
      // CodeMirror renders only the lines in view, so the whole text is checked through the API.
      const shown = await page.getByTestId("generated-code").locator(".cm-content").textContent();
      const code = await page.evaluate(async (id) => {
        const r = await fetch(`/executions/${id}/code`, { headers: { Authorization: `Bearer ${sessionStorage.getItem("stratcrew.token")}` } });
        return (await r.json()).code;
      }, executionId);
      check(/^portfolio\s*=/m.test(code) && code.includes("vectorbt"), "generated code lacks `import vectorbt` / `portfolio =`");
      const firstLine = code.split("\n").find((l) => l.trim());
      check(shown.includes(firstLine.trim()), `the editor does not show the code's first line "${firstLine}"`);
      await page.getByTestId("spec").waitFor();
      await shot("07-code");
    });

    await step("see the metrics and the charts", async () => {
      await page.getByTestId("tab-results").click();
      await page.getByTestId("results").waitFor({ timeout: 30_000 });
      const total = await page.getByTestId("metric-total_return").textContent();
      check(/[+−]?[\d,]+\.\d\d%/.test(total), `total return card reads "${total}"`);
      check(await page.getByTestId("metric-sharpe_ratio").isVisible(), "no Sharpe card");
      await page.getByTestId("equity-chart").locator("canvas").first().waitFor();
      await page.getByTestId("price-chart").locator("canvas").first().waitFor({ timeout: 30_000 });
      const rows = await page.getByTestId("trade-row").count();
      const empty = await page.getByTestId("trades-empty").count();
      check(rows > 0 || empty === 1, "neither trades nor the empty state");
      if (rows > 1) {
        await page.getByTestId("sort-pnl").click();
        const th = await page.getByTestId("sort-pnl").locator("xpath=..").getAttribute("aria-sort");
        check(th === "ascending", "sorting by P&L did not apply");
      }
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("dl-trades").click()]);
      check(download.suggestedFilename().endsWith("-trades.csv"), `download named ${download.suggestedFilename()}`);
      const csv = readFileSync(await download.path(), "utf8");
      check(csv.split("\n")[0].includes("exit_reason") || csv.split("\n")[0].includes("entry"), `odd CSV header: ${csv.split("\n")[0]}`);
      await shot("08-results");
      await page.getByTestId("equity-chart").scrollIntoViewIfNeeded();
      await shot("09-results-charts");
      log(`     ${total.trim()}, ${rows} trades`);
    });

    await step("edit the code into something hostile and see it refused", async () => {
      await page.getByTestId("tab-code").click();
      await page.getByTestId("code-panel").waitFor();
      const editor = page.getByTestId("edit-code").locator(".cm-content");
      await editor.click();
      await page.keyboard.press("Control+Home");
      await page.keyboard.type("import os\nos.system('echo pwned')\n");
      await page.getByTestId("validate-code").click();
      await page.getByTestId("violations").waitFor();
      const items = await page.getByTestId("violation").allTextContents();
      check(items.some((t) => t.includes("Line 1")), `no violation at line 1: ${items}`);
      check(await page.getByTestId("edit-code").locator(".cm-lintRange-error, .cm-lint-marker-error").count() > 0, "no marker in the editor");
      await page.getByTestId("violations").scrollIntoViewIfNeeded();
      await shot("10-code-refused");
      // Running it anyway: the server must refuse, and the refusal is shown as worded.
      await page.getByTestId("run-edited").click();
      const refused = page.getByTestId("page-error").or(page.getByTestId("exec-error"));
      await refused.first().waitFor({ timeout: 120_000 });
      const text = await refused.first().textContent();
      check(text && text.length > 5, "empty refusal");
      await shot("11-run-hostile-refused");
      log(`     refusal: ${text.slice(0, 140)}`);
    });

    await step("history lists the runs", async () => {
      await page.getByTestId("tab-history").click();
      await page.getByTestId("history-row").first().waitFor();
      const n = await page.getByTestId("history-row").count();
      check(n >= 1, "no runs in the history");
      await shot("12-history");
      // Back to the completed run (the hostile one may have become a failed execution).
      await page.getByTestId(`history-open-${executionId}`).click();
      await page.getByTestId("results").waitFor();
    });

    await step("phone width (390 px): builder and results fit", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByTestId("tab-build").click();
      await page.getByTestId("canvas").waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 1, `the page is ${overflow}px wider than the phone`);
      await shot("13-phone-builder");
      await page.getByTestId("tab-results").click();
      await page.getByTestId("results").waitFor();
      const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow2 <= 1, `results are ${overflow2}px wider than the phone`);
      await shot("14-phone-results");
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    await step("keyboard: the palette and tabs are reachable with Tab", async () => {
      await page.getByTestId("tab-build").click();
      await page.getByTestId("strategy-name").focus();
      const seen = new Set();
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press("Tab");
        const id = await page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
        if (id) seen.add(id);
      }
      for (const id of ["duplicate", "tab-run", "palette-entry_condition"]) check(seen.has(id), `${id} not reached by Tab`);
    });

    await step("no console errors", async () => {
      if (failedLoads.length) log(`     refused requests logged by Chrome (expected): ${failedLoads.length}`);
      check(consoleErrors.length === 0, `console errors:\n${consoleErrors.join("\n")}`);
    });
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    for (const p of procs) {
      try {
        process.kill(-p.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
    writeFileSync(join(ARTIFACTS, "backend.log"), backendLog.join(""));
    if (!process.env.E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
  }
}

main()
  .catch((e) => {
    results.push({ name: "harness", ok: false });
    log(`FAIL harness: ${(e && e.stack) || e}`);
  })
  .finally(() => {
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  });
