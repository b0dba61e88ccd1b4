#!/usr/bin/env node
/**
 * End-to-end test of the builder against the real backend, driven in Debian's Chromium by playwright-core.
 *
 * It builds the front end, starts the backend itself (alembic + uvicorn on a free port, a fresh SQLite file
 * and data dir in a temporary folder), then as a user: registers, draws the original example strategy on the
 * canvas, saves it, runs it and watches the stages arrive, opens the code, checks the metrics and the chart,
 * edits the code into something hostile and sees it refused; then each point of issue 18 as a user meets
 * it (run list, edited code apart, unsaved-changes guard, validation, data limits and uploads, /docs offline,
 * compare, numbers, phone layout, the report's URL, markers, stepper, sign-in across tabs), at 1440x900 and
 * 390x844. One browser, one server, one page reused. Screenshots go to frontend/test-artifacts/.
 * The last line printed is `N passed, N failed`; the exit code is non-zero when anything failed.
 *
 * Env: E2E_SKIP_BUILD=1 reuses frontend/dist; CHROMIUM=/path overrides /usr/bin/chromium;
 * E2E_RUN_TIMEOUT_S (default 420) bounds one backtest; E2E_KEEP=1 keeps the temp folder;
 * E2E_BASE_URL=http://127.0.0.1:8000 drives a server that is already running instead of starting one;
 * E2E_ONLY=<regex> runs only the steps whose names match it, after the setup steps (build, server, browser,
 * sign-in): `E2E_ONLY=sweep npm run e2e` checks the sweep builder alone.
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

const ONLY = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;
const results = [];
let abortRest = null; // set when a step the rest depend on has failed
let onFailure = async () => undefined; // screenshots the page once there is one
const consoleErrors = [];
const failedLoads = [];

function log(msg) {
  process.stdout.write(`${msg}\n`);
}

async function step(name, fn, { critical = false, setup = false } = {}) {
  if (ONLY && !setup && !ONLY.test(name)) return;
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
      }, { critical: true, setup: true });
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
    }, { critical: true, setup: true });

    let page;
    const shot = async (name, p = page) => {
      await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
      log(`     screenshot test-artifacts/${name}.png`);
    };

    await step("launch Chromium", async () => {
      // A fresh profile per run; playwright takes it as launchPersistentContext's first argument.
      browser = await chromium.launchPersistentContext(join(tmp, "chromium-profile"), {
        viewport: { width: 1440, height: 900 },
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
    }, { critical: true, setup: true });

    const user = `e2e_${Date.now().toString(36)}`;
    const PASSWORD = "correct horse battery staple";
    const STRATEGY_NAME = "Buy the 5% dip under the 20-day MA";
    let apiToken = null; // for checks through the API, taken the way a script would (POST /auth/token)
    const apiGet = async (path) => {
      const r = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${apiToken}` } });
      check(r.ok, `GET ${path} answered ${r.status}`);
      return r.json();
    };
    const desktop = () => page.setViewportSize({ width: 1440, height: 900 });
    const phone = () => page.setViewportSize({ width: 390, height: 844 });
    const noOverflow = async (what) => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 1, `${what} is ${overflow}px wider than the screen`);
    };
    const inView = async (locator, what) => {
      const box = await locator.boundingBox();
      const width = page.viewportSize().width;
      check(box && box.x >= 0 && box.x + box.width <= width + 1, `${what} is off screen (${JSON.stringify(box)}, width ${width})`);
    };

    await step("a 5-character password gets a human message (issue 18.10)", async () => {
      await shot("01-sign-in");
      await page.getByTestId("tab-register").click();
      await page.getByTestId("username").fill(user);
      await page.getByTestId("password").fill("abcde");
      await page.getByTestId("auth-submit").click();
      const text = await page.getByTestId("auth-error").textContent();
      check(text === "Choose a password of at least 8 characters (this one has 5)", `password message: "${text}"`);
      await shot("01b-short-password");
      // the server says the same in words when a client skips the form's check
      const r = await fetch(`${base}/auth/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: `${user}x`, password: "abcde" }) });
      const body = await r.json();
      check(r.status === 422 && body.detail === "password: Choose a password of at least 8 characters (this one has 5)", `server: ${JSON.stringify(body)}`);
    });

    await step("register and sign in", async () => {
      await page.getByTestId("tab-register").click();
      await page.getByTestId("username").fill(user);
      await page.getByTestId("password").fill(PASSWORD);
      await page.getByTestId("auth-submit").click();
      await page.getByTestId("strategy-list-page").waitFor();
      check((await page.getByTestId("whoami").textContent()) === user, "the signed-in user is not shown");
      await page.getByTestId("strategies-empty").waitFor();
      await shot("02-strategy-list");
      const t = await fetch(`${base}/auth/token`, { method: "POST", body: new URLSearchParams({ username: user, password: PASSWORD }) });
      apiToken = (await t.json()).access_token;
    }, { critical: true, setup: true });

    await step("the sign-in survives a new tab, and no token sits in Web Storage (issue 18.10)", async () => {
      const tab = await browser.newPage();
      await tab.goto(`${base}/#/runs`);
      await tab.getByTestId("runs-page").waitFor();
      check((await tab.getByTestId("whoami").textContent()) === user, "the new tab is not signed in as the user");
      const stored = await tab.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
      check(!/eyJ/.test(stored), `a token is in Web Storage: ${stored.slice(0, 120)}`);
      const cookies = await browser.cookies(`${base}/auth/session`);
      const session = cookies.find((c) => c.name === "stratcrew_session");
      check(session && session.httpOnly && session.sameSite === "Strict", `session cookie: ${JSON.stringify(session)}`);
      check(!(await tab.evaluate(() => document.cookie)).includes("stratcrew_session"), "the session cookie is readable by scripts");
      await shot("02b-new-tab-signed-in", tab);
      await tab.close();
    });

    await step("build the original example strategy on the canvas; an unreadable rule marks its node (issue 18.4)", async () => {
      await page.getByTestId("new-blank").click();
      await page.getByTestId("canvas-empty").waitFor();
      await page.getByTestId("strategy-name").fill(STRATEGY_NAME);
      await page.getByTestId("palette-entry_condition").click();
      await page.getByTestId("node-entry").waitFor();
      const rule = page.getByTestId("rule-field-0").getByTestId("rule-input");
      await rule.fill("Enter on a 5% price drop from the 20-day movng average");
      await page.getByTestId("rule-error").waitFor();
      const caret = await page.getByTestId("rule-caret").textContent();
      check(caret && caret.includes("^"), "no caret under the rule");
      await page.getByTestId("node-issue-entry").waitFor();
      check((await page.getByTestId("node-entry").getAttribute("data-invalid")) === "true", "the node of an unreadable rule is not marked");
      await shot("03-rule-parse-error");
      // a compound rule echoes its parts (issue 18.10: it used to read "Understood: all")
      await rule.fill("RSI(14) below 30 and close above the 200-day SMA");
      const echo = await page.getByTestId("rule-ok").textContent();
      check(/and/.test(echo) && !/Understood: all/.test(echo), `compound echo: "${echo}"`);
      await rule.fill(ORIGINAL_RULE);
      await page.getByTestId("rule-ok").waitFor();
      await page.getByTestId("node-issue-entry").waitFor({ state: "detached" });
      await page.getByTestId("palette-take_profit").click();
      await page.getByTestId("target-pct").fill("7");
      await page.getByTestId("palette-stop_loss").click();
      await page.getByTestId("stop-pct").fill("5");
      for (const id of ["entry", "tp", "sl"]) await page.getByTestId(`node-${id}`).waitFor();
      check((await page.getByTestId("node-tp").textContent()).includes("7% above entry"), "take-profit node does not show 7%");
      check((await page.getByTestId("node-sl").textContent()).includes("stop 5% below entry"), "stop-loss node does not show 5%");
      await page.getByTestId("select-entry").click();
      await shot("04-builder");
    }, { critical: true });

    let strategyId = null;
    await step("save the strategy", async () => {
      await page.getByTestId("save").click();
      await page.waitForFunction(() => location.hash.startsWith("#/s/strat_"));
      strategyId = decodeURIComponent((await page.evaluate(() => location.hash)).split("/")[2]);
      await page.getByTestId("save-state").filter({ hasText: /^Saved$/ }).waitFor();
      const saved = await apiGet(`/strategies/${strategyId}`);
      const types = saved.schema.nodes.map((n) => n.type).sort();
      check(JSON.stringify(types) === JSON.stringify(["entry_condition", "stop_loss", "take_profit"]), `saved node types ${types}`);
      check(saved.schema.nodes.find((n) => n.type === "entry_condition").meta.rules[0] === ORIGINAL_RULE, "the entry rule was not saved verbatim");
      check(saved.schema.nodes.find((n) => n.type === "take_profit").meta.target_pct === 7, "take profit not 7");
      check(saved.issues.length === 0, `a sound strategy has issues: ${JSON.stringify(saved.issues)}`);
    }, { critical: true });

    await step("an impossible stop is marked, refused on save naming the node, and blocks Execute (issue 18.4)", async () => {
      await page.getByTestId("select-sl").click();
      await page.getByTestId("stop-pct").fill("-5");
      const message = await page.getByTestId("stop-pct-error").textContent();
      check(message === "Stop must be above 0% (it is −5%)", `form message: "${message}"`);
      check(!(await page.getByTestId("node-sl").textContent()).includes("−-"), "the node shows '−-5%'");
      check((await page.getByTestId("node-sl").getAttribute("data-invalid")) === "true", "the stop node is not marked");
      await page.getByTestId("save").click();
      const refused = await page.getByTestId("page-error").textContent();
      check(refused.includes("Node 'sl'") && refused.includes("above 0%"), `save refusal: "${refused}"`);
      await shot("04b-impossible-stop");
      await page.getByTestId("tab-run").click();
      const problems = await page.getByTestId("param-problems").textContent();
      check(problems.includes("Node 'sl': Stop must be above 0%"), `Execute blockers: "${problems}"`);
      check(await page.getByTestId("execute").isDisabled(), "Execute is not blocked");
      await shot("04c-execute-blocked");
      await page.getByTestId("tab-build").click();
      await page.getByTestId("select-sl").click();
      await page.getByTestId("stop-pct").fill("150");
      check((await page.getByTestId("stop-pct-error").textContent()).includes("below 100%"), "150% not refused in the form");
      await page.getByTestId("stop-pct").fill("5");
      await page.getByTestId("save-state").filter({ hasText: /^Saved$/ }).waitFor();
    });

    await step("unsaved edits are not lost: leaving asks to save (issue 18.3)", async () => {
      await page.getByTestId("stop-pct").fill("6");
      await page.getByTestId("save-state").filter({ hasText: "Unsaved changes" }).waitFor();
      await page.locator('a[href="#/"]').first().click();
      await page.getByTestId("leave-dialog").waitFor();
      await shot("04d-unsaved-prompt");
      await page.getByTestId("leave-stay").click();
      check((await page.getByTestId("stop-pct").inputValue()) === "6", "the edit was lost on Stay");
      // the browser's back button is held too
      await page.goBack();
      await page.getByTestId("leave-dialog").waitFor();
      await page.getByTestId("leave-save").click();
      await page.getByTestId("canvas-empty").waitFor(); // back where it came from: the blank new strategy
      const saved = await apiGet(`/strategies/${strategyId}`);
      check(saved.schema.nodes.find((n) => n.id === "sl").meta.stop_pct === 6, "Save and leave did not save the stop");
      // an untouched blank canvas has nothing to lose; an unsaved template asks
      await page.locator('a[href="#/"]').first().click();
      await page.getByTestId("strategy-list-page").waitFor();
      await page.getByTestId("new-ma_crossover").click();
      await page.getByTestId("node-entry").waitFor();
      await page.locator('a[href="#/"]').first().click();
      await page.getByTestId("leave-dialog").waitFor();
      await page.getByTestId("leave-discard").click();
      await page.getByTestId("strategy-list-page").waitFor();
      await page.goto(`${base}/#/s/${strategyId}`);
      await page.getByTestId("strategy-page").waitFor();
      await page.getByTestId("select-sl").click();
      await page.getByTestId("stop-pct").fill("5");
      await page.getByTestId("save").click();
      await page.getByTestId("save-state").filter({ hasText: /^Saved$/ }).waitFor();
    }, { critical: true });

    await step("data limits up front: symbols with ranges, daily timeframes only, dates clamped, unknown symbol (issue 18.5)", async () => {
      await page.getByTestId("tab-run").click();
      await page.getByTestId("symbol-chip-SPX").waitFor();
      check((await page.getByTestId("start-date").inputValue()) === "2010-01-01", "start date default");
      check((await page.getByTestId("capital").inputValue()) === "10000", "capital default");
      await page.getByTestId("pick-symbol-IXIC").waitFor();
      const picker = await page.getByTestId("symbol-picker").textContent();
      check(/IXIC.*1 day bars · 1999-\d\d-\d\d → 2018-\d\d-\d\d/.test(picker), `picker: ${picker.slice(0, 200)}`);
      const frames = await page.getByTestId("timeframe").locator("option").allTextContents();
      check(JSON.stringify(frames) === JSON.stringify(["1 day", "1 week", "1 month"]), `timeframes offered: ${frames}`);
      await page.getByTestId("symbol-input").fill("AAPL");
      await page.getByTestId("symbol-input").press("Enter");
      await page.getByTestId("symbol-unknown").waitFor();
      check((await page.getByTestId("symbol-chip-AAPL").count()) === 0, "AAPL was accepted without data");
      await page.getByTestId("start-date").fill("1990-01-01");
      await page.getByTestId("data-note").waitFor();
      const start = await page.getByTestId("start-date").inputValue();
      check(start.startsWith("1999-01-0"), `start not clamped: ${start}`);
      await shot("05a-data-limits");
      await page.getByTestId("start-date").fill("2010-01-01");
    });

    await step("upload dialog: preview of columns, first rows and the validation report, then the symbol is usable (issue 18.5)", async () => {
      const rows = ["Date,Open,High,Low,Close,Adj Close,Volume"];
      let price = 50;
      const day = new Date(Date.UTC(2015, 0, 5));
      for (let i = 0; rows.length <= 300; i++) {
        const d = new Date(day.getTime() + i * 86400000);
        if (d.getUTCDay() === 0 || d.getUTCDay() === 6) continue;
        price *= 1 + Math.sin(i / 7) * 0.01;
        rows.push(`${d.toISOString().slice(0, 10)},${price.toFixed(2)},${(price * 1.01).toFixed(2)},${(price * 0.99).toFixed(2)},${price.toFixed(2)},${(price * 0.98).toFixed(2)},${1000 + i}`);
      }
      const file = join(tmp, "myco.csv");
      writeFileSync(file, rows.join("\n"));
      await page.getByTestId("open-upload").click();
      await page.getByTestId("upload-dialog").waitFor();
      await page.getByTestId("upload-symbol").fill("MYCO");
      await page.getByTestId("upload-file").setInputFiles(file);
      await page.getByTestId("upload-preview").waitFor();
      const columns = await page.getByTestId("upload-columns").textContent();
      check(columns.includes("Date → timestamp") && columns.includes("Close → close") && columns.includes("(ignored)"), `columns: ${columns}`);
      check((await page.getByTestId("upload-head").locator("tbody tr").count()) === 10, "not 10 preview rows");
      check((await page.getByTestId("upload-notes").textContent()).includes("Adj Close"), "the validation report is missing");
      check((await page.getByTestId("upload-summary").textContent()).includes("300"), "row count missing");
      await shot("05b-upload-preview");
      await page.getByTestId("upload-keep").click();
      await page.getByTestId("symbol-chip-MYCO").waitFor();
      await page.getByTestId("symbol-chip-MYCO").getByRole("button").click(); // back to SPX only
      check((await page.getByTestId("symbol-chip-MYCO").count()) === 0, "MYCO chip not removed");
      await page.getByTestId("start-date").fill("2010-01-01"); // MYCO's span had narrowed the dates
      await page.getByTestId("end-date").fill("2018-12-31");
    });

    await step("/docs and /redoc render from local assets, with nothing fetched from another host (issue 18.5)", async () => {
      const docs = await browser.newPage();
      const outside = [];
      await docs.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => {
        outside.push(route.request().url());
        return route.abort();
      });
      await docs.goto(`${base}/docs`);
      await docs.locator(".swagger-ui .info .title").filter({ hasText: "StratCrew" }).waitFor();
      await docs.locator(".opblock-tag").first().waitFor();
      await shot("05c-docs", docs);
      await docs.goto(`${base}/redoc`);
      await docs.locator("h1").filter({ hasText: "StratCrew" }).first().waitFor({ timeout: 30_000 });
      await shot("05d-redoc", docs);
      check(outside.length === 0, `fetched from other hosts: ${outside.join(", ")}`);
      await docs.close();
    });

    const stagesSeen = new Set();
    let executionId = null;
    const runToEnd = async (shotName) => {
      await page.getByTestId("progress").waitFor();
      const until = Date.now() + RUN_TIMEOUT_MS;
      let shotTaken = false;
      for (;;) {
        const status = (await page.getByTestId("exec-status").textContent()).trim();
        for (const s of ["analyzing", "generating_code", "executing"]) {
          const state = await page.getByTestId(`stage-${s}`).getAttribute("data-state");
          const msgs = await page.getByTestId(`stage-${s}`).getByTestId("stage-message").count();
          if (state !== "pending" || msgs > 0) stagesSeen.add(s);
        }
        if (shotName && !shotTaken && stagesSeen.size > 0 && status !== "completed") {
          await shot(shotName);
          shotTaken = true;
        }
        if (["completed", "failed", "cancelled"].includes(status)) break;
        check(Date.now() < until, `the run did not finish within ${RUN_TIMEOUT_MS / 1000} s (status ${status})`);
        await page.waitForTimeout(250);
      }
      await page.getByTestId("run-outcome").waitFor();
      return {
        id: (await page.getByTestId("progress").locator("h3 code").textContent()).trim(),
        status: (await page.getByTestId("exec-status").textContent()).trim(),
      };
    };

    await step("run it and watch the stages arrive", async () => {
      await page.getByTestId("execute").click();
      const { id, status } = await runToEnd("06-progress");
      executionId = id;
      if (status !== "completed") {
        const err = await page.getByTestId("exec-error").textContent().catch(() => "");
        throw new Error(`the run ended ${status}: ${err}`);
      }
      const messages = await page.getByTestId("stage-message").allTextContents();
      check(messages.length >= 3, `only ${messages.length} stage messages arrived`);
      check(stagesSeen.size === 3, `stages seen: ${[...stagesSeen]}`);
      check((await page.getByTestId("progress-bar").getAttribute("aria-valuenow")) === "100", "progress bar not at 100");
      const log = messages.join("\n");
      check(/total return [+-]\d+\.\d\d%/.test(log) && / pp\b/.test(log) && !/\d\.\d{4,}/.test(log), `the run log prints raw floats:\n${log}`);
      await shot("06b-run-completed");
    }, { critical: true });

    await step("open the code and the spec", async () => {
      await page.getByTestId("see-code").click();
      await page.getByTestId("code-panel").waitFor();
      const shown = await page.getByTestId("generated-code").locator(".cm-content").textContent();
      const { code } = await apiGet(`/executions/${executionId}/code`);
      check(/^portfolio\s*=/m.test(code) && code.includes("vectorbt"), "generated code lacks `import vectorbt` / `portfolio =`");
      const firstLine = code.split("\n").find((l) => l.trim());
      check(shown.includes(firstLine.trim()), `the editor does not show the code's first line "${firstLine}"`);
      await page.getByTestId("spec").waitFor();
      await shot("07-code");
    });

    await step("numbers in their units: pp, whole counts, dates, colour only where sign means good (issue 18.7)", async () => {
      await desktop();
      await page.getByTestId("tab-results").click();
      await page.getByTestId("results").waitFor({ timeout: 30_000 });
      const total = await page.getByTestId("metric-total_return").textContent();
      check(/[+−]?[\d,]+\.\d\d%/.test(total), `total return card reads "${total}"`);
      check((await page.getByTestId("metric-vs_benchmark").textContent()).endsWith(" pp"), "vs benchmark not in pp");
      check((await page.getByTestId("metric-sharpe_ratio").getAttribute("class")).includes("neutral"), "Sharpe is coloured");
      await page.getByTestId("more-metrics").locator("summary").click();
      const bars = await page.getByTestId("more-bars").locator("dd").textContent();
      check(/^\d{1,3}(,\d{3})*$/.test(bars), `bars reads "${bars}"`);
      check(/^\d{4}-\d\d-\d\d$/.test(await page.getByTestId("more-start").locator("dd").textContent()), "a raw timestamp in More metrics");
      check((await page.getByTestId("more-avg_win").locator("dd").textContent()).endsWith("%"), "avg win without %");
      // the list of more metrics does not overlap: every row sits inside its own box
      const overlaps = await page.getByTestId("more-metrics").evaluate((el) => [...el.querySelectorAll("dl > div")].filter((d) => d.scrollWidth > d.clientWidth + 1).length);
      check(overlaps === 0, `${overlaps} rows of More metrics overflow`);
      await page.getByTestId("more-metrics").scrollIntoViewIfNeeded();
      await shot("08-results-metrics");
      await page.getByTestId("equity-chart").locator("canvas").first().waitFor();
      await page.getByTestId("price-chart").locator("canvas").first().waitFor({ timeout: 30_000 });
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("dl-trades").click()]);
      check(download.suggestedFilename().endsWith("-trades.csv"), `download named ${download.suggestedFilename()}`);
      await page.getByTestId("equity-chart").scrollIntoViewIfNeeded();
      await shot("09-results-charts");
      log(`     ${total.trim()}`);
    });

    await step("the report: a real URL, titled with the strategy's name, with rules, params, conventions and trades (issue 18.9)", async () => {
      await page.getByTestId("open-report").scrollIntoViewIfNeeded();
      const [report] = await Promise.all([browser.waitForEvent("page"), page.getByTestId("open-report").click()]);
      await report.waitForURL(/\/reports\//);
      check(report.url().startsWith(`${base}/reports/`), `report URL: ${report.url()}`);
      await report.locator("h1").waitFor();
      check((await report.locator("h1").textContent()) === STRATEGY_NAME, "the report is not titled with the strategy's name");
      const text = await report.locator("body").textContent();
      for (const part of ["Strategy, as understood", ORIGINAL_RULE, "Parameters", "Fill conventions", "Trades ("]) check(text.includes(part), `the report lacks "${part}"`);
      await shot("10-report", report);
      // the link opens without signing in: a fresh browser context has no cookie and no token
      const r = await fetch(report.url());
      check(r.status === 200 && (await r.text()).includes(`<h1>${STRATEGY_NAME}</h1>`), "the report link needs a sign-in");
      await report.close();
    });

    let editedId = null;
    await step("edited code runs apart: the generated code stays, Reset works (issue 18.2)", async () => {
      await page.getByTestId("tab-code").click();
      await page.getByTestId("code-panel").waitFor();
      const editor = page.getByTestId("edit-code").locator(".cm-content");
      await editor.click();
      await page.keyboard.press("Control+End");
      await page.keyboard.type("\n# my edit: same strategy\n");
      await page.getByTestId("run-edited").click();
      const { id, status } = await runToEnd(null);
      editedId = id;
      check(status === "completed", `the edited run ended ${status}`);
      await page.getByTestId("tab-code").click();
      await page.getByTestId("submitted-code").waitFor();
      await page.getByTestId("generated-code").waitFor();
      // CodeMirror draws only the lines in view: the whole texts are compared through the API
      const code = await apiGet(`/executions/${editedId}/code`);
      const first = await apiGet(`/executions/${executionId}/code`);
      check(code.submitted_code.includes("my edit") && !code.generated_code.includes("my edit"), "generated and edited code are mixed");
      check(code.generated_code === first.generated_code, "the edited run's generated code is not the strategy's");
      check(code.code === code.submitted_code, "the code that ran is not the edit");
      check(!(await page.getByTestId("reset-code").isDisabled()), "Reset to generated is disabled");
      await page.getByTestId("spec").waitFor();
      await shot("11-edited-code-apart");
    });

    let hostileId = null;
    await step("edit the code into something hostile: refused, worded without 'import import', stepper honest (issue 18.10)", async () => {
      const editor = page.getByTestId("edit-code").locator(".cm-content");
      await page.getByTestId("reset-code").click();
      await editor.click();
      await page.keyboard.press("Control+Home");
      await page.keyboard.type("import os\nos.system('echo pwned')\n");
      await page.getByTestId("validate-code").click();
      await page.getByTestId("violations").waitFor();
      const items = await page.getByTestId("violation").allTextContents();
      check(items.some((t) => t.includes("Line 1")), `no violation at line 1: ${items}`);
      check(!items.join(" ").includes("import import"), `violation reads: ${items[0]}`);
      check(await page.getByTestId("edit-code").locator(".cm-lintRange-error, .cm-lint-marker-error").count() > 0, "no marker in the editor");
      await page.getByTestId("violations").scrollIntoViewIfNeeded();
      await shot("12-code-refused");
      await page.getByTestId("run-edited").click();
      const { id, status } = await runToEnd(null);
      hostileId = id;
      check(status === "failed", `the hostile run ended ${status}`);
      const err = await page.getByTestId("exec-error").textContent();
      check(!err.includes("import import"), `refusal reads: ${err}`);
      for (const s of ["queued", "analyzing"]) check((await page.getByTestId(`stage-${s}`).getAttribute("data-state")) === "done", `stage ${s} of the failed run is not marked done`);
      check((await page.getByTestId("stage-generating_code").getAttribute("data-state")) === "failed", "the failed stage is not marked");
      await shot("13-failed-run-stepper");
      // reopening the strategy: Results shows the last completed run, with a note about the failure
      await page.getByTestId("tab-results").click();
      await page.getByTestId("results-note").waitFor();
      check((await page.getByTestId("results").getAttribute("data-execution")) === editedId, "Results does not show the last completed run");
    });

    let secondId = null;
    await step("a second strategy from a template, run once", async () => {
      await page.goto(`${base}/#/new/ma_crossover`);
      await page.getByTestId("node-entry").waitFor();
      await page.getByTestId("tab-run").click();
      await page.getByTestId("execute").click();
      const { id, status } = await runToEnd(null);
      secondId = id;
      check(status === "completed", `the MA crossover run ended ${status}`);
    }, { critical: true });

    await step("every run one click away: the run list across strategies (issue 18.1)", async () => {
      await desktop();
      await page.getByTestId("nav-runs").click();
      await page.getByTestId("run-table").waitFor();
      const rows = page.getByTestId("run-row");
      check((await rows.count()) === 4, `runs listed: ${await rows.count()}`);
      const table = await page.getByTestId("run-table").textContent();
      for (const part of [STRATEGY_NAME, "MA crossover", "edited code", "SPX", "failed"]) check(table.includes(part), `the run list lacks "${part}"`);
      const mine = page.locator(`[data-run="${executionId}"]`);
      check(/[+−]\d+\.\d\d%/.test(await mine.textContent()), "no total return on a completed run");
      await shot("14-runs");
      await page.getByTestId("run-filter").selectOption({ label: "Failed" });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"]').length === 1);
      check((await page.locator(`[data-run="${hostileId}"]`).count()) === 1, "the status filter shows another run");
      await page.getByTestId("run-filter").selectOption({ label: "All" });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"]').length === 4);
      // any run's results, in one click, from the list
      await page.getByTestId(`open-${executionId}`).click();
      await page.getByTestId("results").waitFor();
      check((await page.getByTestId("results").getAttribute("data-execution")) === executionId, "Results opened another run");
      check((await page.evaluate(() => location.hash)).endsWith(`/results/${executionId}`), "the opened run has no address of its own");
      // and deleting one
      await page.getByTestId("nav-runs").click();
      await page.locator(`[data-run="${hostileId}"]`).waitFor();
      page.once("dialog", (d) => d.accept());
      await page.getByTestId(`delete-${hostileId}`).click();
      await page.locator(`[data-run="${hostileId}"]`).waitFor({ state: "detached" });
      const r = await fetch(`${base}/executions/${hostileId}`, { headers: { Authorization: `Bearer ${apiToken}` } });
      check(r.status === 404, `the deleted run answers ${r.status}`);
    });

    await step("compare runs of two strategies: equity rebased to 100 and drawdowns, labelled (issue 18.6)", async () => {
      await page.getByTestId(`pick-${executionId}`).check();
      await page.getByTestId(`pick-${secondId}`).check();
      await page.getByTestId("compare").click();
      await page.getByTestId("compare-panel").waitFor();
      await page.getByTestId("compare-equity").locator("canvas").first().waitFor();
      await page.getByTestId("compare-drawdown").locator("canvas").first().waitFor();
      const legend = await page.getByTestId("compare-equity-legend").textContent();
      check(legend.includes(STRATEGY_NAME) && legend.includes("MA crossover"), `legend: ${legend}`);
      await page.getByTestId("compare-panel").scrollIntoViewIfNeeded();
      await shot("15-compare");
      await phone();
      await page.getByTestId("compare-panel").scrollIntoViewIfNeeded();
      await noOverflow("the comparison");
      await shot("15b-compare-phone");
      await desktop();
    });

    await step("phone (390 px): builder canvas on top with every node in view, runs as cards with their buttons, charts over the whole period (issue 18.8)", async () => {
      await phone();
      await page.goto(`${base}/#/s/${strategyId}`);
      await page.getByTestId("canvas").waitFor();
      await page.waitForTimeout(400); // the canvas fits its nodes after a resize
      await noOverflow("the builder");
      const canvas = await page.getByTestId("canvas").boundingBox();
      const palette = await page.locator(".palette").boundingBox();
      check(canvas.y < palette.y, "the canvas sits below the palette");
      for (const id of ["entry", "tp", "sl"]) {
        const b = await page.getByTestId(`node-${id}`).boundingBox();
        check(b.x >= canvas.x - 1 && b.x + b.width <= canvas.x + canvas.width + 1 && b.y >= canvas.y - 1 && b.y + b.height <= canvas.y + canvas.height + 1, `node ${id} is cut off`);
      }
      await shot("16-phone-builder");
      await page.getByTestId("tab-history").click();
      await page.getByTestId("run-row").first().waitFor();
      await noOverflow("the run list");
      await inView(page.getByTestId(`delete-${executionId}`), "the Delete button of a run");
      await inView(page.getByTestId(`open-${executionId}`), "the Results button of a run");
      await shot("17-phone-runs");
      await page.getByTestId(`open-${executionId}`).click();
      await page.getByTestId("equity-chart").locator("canvas").first().waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="equity-chart"]')?.dataset.visible);
      const [from, to, total] = (await page.getByTestId("equity-chart").getAttribute("data-visible")).split(":").map(Number);
      check(from <= 0 && to >= total - 1, `the phone chart shows bars ${from}..${to} of ${total}`);
      await noOverflow("the results");
      await shot("18-phone-results");
    });

    await step("trade markers thin out when zoomed out and come apart when zoomed in (issue 18.10)", async () => {
      await phone();
      await page.goto(`${base}/#/s/${strategyId}/results/${executionId}`);
      const chart = page.getByTestId("price-chart");
      await chart.locator("canvas").first().waitFor({ timeout: 30_000 });
      await chart.scrollIntoViewIfNeeded();
      await page.waitForFunction(() => document.querySelector('[data-testid="price-chart"]')?.dataset.markers);
      const trades = (await apiGet(`/executions/${executionId}/results`)).trades;
      const markersAll = trades.length + trades.filter((t) => t.exit_time).length;
      const zoomedOut = Number(await chart.getAttribute("data-markers"));
      check(zoomedOut < markersAll, `${zoomedOut} markers drawn for ${markersAll} at phone width`);
      await shot("19-markers-zoomed-out");
      const box = await chart.boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      for (let i = 0; i < 12; i++) await page.mouse.wheel(0, -400);
      await page.waitForTimeout(300);
      const zoomedIn = Number(await chart.getAttribute("data-markers"));
      check(zoomedIn !== zoomedOut, `zooming in did not regroup the markers (${zoomedOut} -> ${zoomedIn})`);
      await shot("19b-markers-zoomed-in");
      log(`     markers: ${markersAll} trades' markers, ${zoomedOut} drawn zoomed out, ${zoomedIn} zoomed in`);
      await desktop();
    });

    await step("keyboard: the palette and tabs are reachable with Tab", async () => {
      await page.goto(`${base}/#/s/${strategyId}`);
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

    // -- issue 17, the builder: a sweep from the canvas to a normal run of one of its combinations ----------
    let sweepId = null;
    let sweepStrategyId = null;
    // The numbers of a rule, as the builder offers them under the rule's field.
    const ruleNumber = (field, text) => page.getByTestId(field).getByTestId("rule-number").filter({ hasText: new RegExp(`^${text}$`) });
    const applyRange = async ({ name, start, stop, step: by, list }) => {
      const editor = page.getByTestId("range-editor");
      await editor.waitFor();
      if (name) await editor.getByTestId("range-name").fill(name);
      if (list) {
        await editor.getByTestId("range-mode-list").check();
        await editor.getByTestId("range-list").fill(list);
      } else {
        await editor.getByTestId("range-start").fill(String(start));
        await editor.getByTestId("range-stop").fill(String(stop));
        await editor.getByTestId("range-step").fill(String(by));
      }
      await editor.getByTestId("range-apply").click();
      await editor.waitFor({ state: "detached" });
    };

    await step("sweep: click the numbers of a rule and a stop's field to make them ranges (issue 17)", async () => {
      await desktop();
      await page.goto(`${base}/#/new/ma_crossover`);
      await page.getByTestId("node-entry").waitFor();
      await page.getByTestId("strategy-name").fill("Swept MA crossover");
      await page.getByTestId("select-entry").click();
      await ruleNumber("rule-field-0", "10").click();
      check((await page.getByTestId("range-name").inputValue()) === "ma", "no name suggested for the 10-day MA");
      await shot("20-sweep-range-editor");
      await applyRange({ name: "fast", start: 6, stop: 14, step: 2 });
      await ruleNumber("rule-field-0", "30").click();
      await applyRange({ name: "slow", start: 20, stop: 40, step: 10 });
      check((await page.getByTestId("rule-field-0").getByTestId("rule-input").inputValue()) === "{fast=10}-day MA crosses above {slow=30}-day MA", "the entry rule was not parameterised");
      // the reading (debounced, so wait for the new one) names the parameters and their defaults
      await page.getByTestId("rule-field-0").getByTestId("rule-ok").filter({ hasText: "with fast = 10, slow = 30" }).waitFor();
      // the exit rule uses the same two parameters (same names, same defaults: one parameter each)
      await page.getByTestId("select-exit").click();
      await ruleNumber("rule-field-0", "10").click();
      await applyRange({ name: "fast", start: 6, stop: 14, step: 2 });
      await ruleNumber("rule-field-0", "30").click();
      await applyRange({ name: "slow", start: 20, stop: 40, step: 10 });
      check((await page.getByTestId("rule-field-0").getByTestId("rule-input").inputValue()) === "{fast=10}-day MA crosses below {slow=30}-day MA", "the exit rule was not parameterised");
      await page.getByTestId("select-sl").click();
      await page.getByTestId("sweep-field-stop_pct").click();
      await applyRange({ list: "5, 8" });
      check((await page.getByTestId("field-range-stop_pct").textContent()).includes("5, 8 (2 values)"), "the stop's range is not shown");
      await shot("21-sweep-node-field");
    }, { critical: true });

    await step("sweep: the panel shows the grid size and an estimate; run it and see the combinations counted (issue 17)", async () => {
      await page.getByTestId("tab-sweep").click();
      await page.getByTestId("sweep-panel").waitFor();
      const size = await page.getByTestId("grid-size").textContent();
      check(size.includes("5 × 3 × 2 = 30") && size.includes("combinations"), `grid size: ${size}`);
      check(/about \d+ s at [\d,]+ combinations\/s/.test(await page.getByTestId("grid-estimate").textContent()), "no time estimate");
      for (const n of ["fast", "slow", "sl.stop_pct"]) await page.getByTestId(`grid-row-${n}`).waitFor();
      await page.getByTestId("sweep-objective").selectOption("sharpe_ratio");
      await page.getByTestId("sweep-folds").fill("4");
      await shot("22-sweep-panel");
      await page.getByTestId("run-sweep").click();
      await page.getByTestId("sweep-progress").waitFor();
      sweepId = await page.getByTestId("sweep-progress").getAttribute("data-execution");
      sweepStrategyId = decodeURIComponent((await page.evaluate(() => location.hash)).split("/")[2]);
      const until = Date.now() + RUN_TIMEOUT_MS;
      let counted = null;
      let shotTaken = false;
      for (;;) {
        const status = (await page.getByTestId("sweep-status").textContent()).trim();
        const text = await page.getByTestId("sweep-counted").textContent();
        if (/\/ 30 combinations/.test(text)) counted = text;
        if (!shotTaken && status !== "queued") {
          await page.getByTestId("sweep-progress").scrollIntoViewIfNeeded();
          await shot("23-sweep-progress");
          shotTaken = true;
        }
        if (["completed", "failed", "cancelled"].includes(status)) {
          check(status === "completed", `the sweep ended ${status}: ${await page.getByTestId("sweep-failed").textContent().catch(() => "")}`);
          break;
        }
        check(Date.now() < until, `the sweep did not finish within ${RUN_TIMEOUT_MS / 1000} s (status ${status})`);
        await page.waitForTimeout(200);
      }
      await page.getByTestId("sweep-results").waitFor({ timeout: 30_000 });
      counted ??= await page.getByTestId("sweep-counted").textContent();
      check(/^\d+ \/ 30 combinations$/.test(counted.trim()), `progress in combinations: "${counted}"`);
      check((await page.getByTestId("sweep-bar").getAttribute("aria-valuenow")) === "100", "the progress bar is not full");
      log(`     sweep ${sweepId}: ${await page.getByTestId("sweep-summary").textContent()}`);
    }, { critical: true });

    let sweep = null;
    await step("sweep: the heatmap (Plotly, loaded with this panel only) and the top table render (issue 17)", async () => {
      sweep = await apiGet(`/executions/${sweepId}/sweep`);
      check(sweep.combinations === 30 && sweep.evaluated + sweep.skipped + sweep.failed === 30, `counts: ${JSON.stringify(sweep).slice(0, 200)}`);
      const heat = page.getByTestId("sweep-heatmap");
      await page.waitForFunction(() => document.querySelector('[data-testid="sweep-heatmap"]')?.dataset.state === "ready");
      check(await heat.locator(".hm, .heatmaplayer image, g.heatmaplayer").count() > 0, "no heatmap drawn");
      const rows = page.getByTestId("sweep-row");
      check((await rows.count()) === sweep.rows.length && sweep.rows.length === Math.min(100, sweep.evaluated), `${await rows.count()} rows shown, ${sweep.rows.length} in the API`);
      const first = JSON.parse(await rows.first().getAttribute("data-values"));
      check(JSON.stringify(first) === JSON.stringify(sweep.rows[0].values), `first row ${JSON.stringify(first)} is not the API's ${JSON.stringify(sweep.rows[0].values)}`);
      // Plotly is a chunk of its own, fetched by this panel and not at first load
      const scripts = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name).filter((n) => /plotly/.test(n)));
      check(scripts.length === 1, `plotly chunks fetched: ${scripts}`);
      const html = await fetch(`${base}/`).then((r) => r.text());
      check(!/plotly/.test(html), "index.html preloads plotly");
      await page.getByTestId("sweep-heatmap-card").scrollIntoViewIfNeeded();
      await shot("24-sweep-heatmap");
      await page.getByTestId("sweep-table").scrollIntoViewIfNeeded();
      await shot("25-sweep-table");
    }, { critical: true });

    await step("sweep: walk-forward (in-sample against out-of-sample), DSR and PBO, the agent's pick with its reasons (issue 17)", async () => {
      const wf = sweep.walk_forward;
      check(wf && wf.folds.length === 4, `walk-forward folds: ${wf && wf.folds.length}`);
      check((await page.getByTestId("wf-folds").locator("tbody tr").count()) === 4, "the fold table does not have 4 rows");
      for (const id of ["wf-folds-chart", "wf-equity-chart"]) {
        await page.waitForFunction((t) => document.querySelector(`[data-testid="${t}"]`)?.dataset.state === "ready", id);
        check(await page.getByTestId(id).locator(".main-svg").count() > 0, `${id} not drawn`);
      }
      check(await page.getByTestId("wf-folds-chart").locator(".barlayer .point").count() >= 4, "no in-sample/out-of-sample bars");
      const dsr = await page.getByTestId("stat-dsr").locator("dd").first().textContent();
      const pbo = await page.getByTestId("stat-pbo").locator("dd").first().textContent();
      const fmt = (v) => (typeof v === "number" ? v.toFixed(3) : "—");
      check(dsr === fmt(sweep.overfitting.deflated_sharpe_ratio), `DSR shown ${dsr}, API ${sweep.overfitting.deflated_sharpe_ratio}`);
      check(pbo === fmt(sweep.overfitting.pbo.pbo), `PBO shown ${pbo}, API ${sweep.overfitting.pbo.pbo}`);
      check(sweep.optimization && sweep.optimization.reasons.length > 0, "no optimization pick in the API");
      const reasons = await page.getByTestId("pick-reasons").locator("li").allTextContents();
      check(JSON.stringify(reasons) === JSON.stringify(sweep.optimization.reasons), "the pick's reasons are not the agent's");
      await page.getByTestId("sweep-walk-forward").scrollIntoViewIfNeeded();
      await shot("26-sweep-walk-forward");
      await page.getByTestId("sweep-pick").scrollIntoViewIfNeeded();
      await shot("27-sweep-pick-and-stats");
    });

    await step("sweep: a heatmap cell and a table row run as a normal execution whose metrics are the row's (issue 17)", async () => {
      // a click on the heatmap picks that cell
      await page.getByTestId("sweep-heatmap-card").scrollIntoViewIfNeeded();
      const plotArea = page.getByTestId("sweep-heatmap").locator(".nsewdrag").first();
      const box = await plotArea.boundingBox();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await page.getByTestId("heatmap-cell").waitFor();
      const cell = JSON.parse(await page.getByTestId("heatmap-cell").getAttribute("data-values"));
      check(Object.keys(cell).sort().join() === ["fast", "sl.stop_pct", "slow"].join(), `cell values ${JSON.stringify(cell)}`);
      await shot("28-sweep-heatmap-cell");
      // the best row, as a normal backtest
      const row = sweep.rows[0];
      await page.getByTestId("run-row-0").click();
      const { id, status } = await runToEnd(null);
      check(status === "completed", `the row's run ended ${status}`);
      const saved = await apiGet(`/strategies/${sweepStrategyId}`);
      const entry = saved.schema.nodes.find((n) => n.id === "entry").meta.rules[0];
      check(entry === `{fast=${row.values.fast}}-day MA crosses above {slow=${row.values.slow}}-day MA`, `the strategy's defaults were not set: ${entry}`);
      check(saved.schema.nodes.find((n) => n.id === "sl").meta.stop_pct === row.values["sl.stop_pct"], "the stop was not set");
      const { metrics } = await apiGet(`/executions/${id}/results`);
      const compared = Object.entries(row.metrics).filter(([k, v]) => v !== null && k in metrics);
      check(compared.length >= 10, `only ${compared.length} metrics to compare`);
      for (const [k, v] of compared) check(Math.abs(metrics[k] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `${k}: the run has ${metrics[k]}, the sweep's row ${v}`);
      await page.getByTestId("see-results").click();
      await page.getByTestId("results").waitFor({ timeout: 30_000 });
      await shot("29-sweep-row-as-run");
      log(`     row 1 ${JSON.stringify(row.values)}: ${compared.length} metrics equal to 1e-6 (Sharpe ${metrics.sharpe_ratio})`);
      // the sweep is one click away in the strategy's runs
      await page.getByTestId("tab-history").click();
      await page.getByTestId(`open-${sweepId}`).click();
      await page.getByTestId("sweep-results").waitFor();
      check((await page.getByTestId("sweep-progress").getAttribute("data-execution")) === sweepId, "the run list opened another sweep");
    });

    await step("sweep: a second sweep starts from memory's earlier pick; the sweep panel fits a phone (issue 17)", async () => {
      await page.getByTestId("tab-sweep").click();
      await page.getByTestId("run-sweep").click();
      await page.waitForFunction((old) => {
        const el = document.querySelector('[data-testid="sweep-progress"]');
        return el && el.dataset.execution && el.dataset.execution !== old;
      }, sweepId);
      const second = await page.getByTestId("sweep-progress").getAttribute("data-execution");
      const until = Date.now() + RUN_TIMEOUT_MS;
      let stored;
      while (!["completed", "failed", "cancelled"].includes((stored = await apiGet(`/executions/${second}`)).status)) {
        check(Date.now() < until, "the second sweep did not finish in time");
        await page.waitForTimeout(500);
      }
      check(stored.status === "completed", `the second sweep ended ${stored.status}: ${stored.error_message}`);
      await page.locator(`[data-testid="sweep-results"][data-execution="${second}"]`).waitFor({ timeout: 30_000 });
      const remembered = await page.getByTestId("sweep-memory").textContent({ timeout: 30_000 });
      const picked = Object.entries(sweep.optimization.values).map(([k, v]) => `${k} = ${v}`).join(", ");
      check(remembered.includes(picked), `memory's suggestion "${remembered}" is not the first sweep's pick (${picked})`);
      await phone();
      await page.waitForTimeout(300);
      await noOverflow("the sweep panel");
      await page.getByTestId("sweep-memory").scrollIntoViewIfNeeded();
      await shot("30-sweep-phone");
      await desktop();
    });

    await step("custom indicator node: 'spread' = close - SMA(50) on the canvas, rules name it, saved and run with trades (issue 14.4)", async () => {
      await desktop();
      await page.goto(`${base}/#/new/blank`);
      await page.getByTestId("canvas-empty").waitFor();
      await page.getByTestId("strategy-name").fill("Spread over its 50-day SMA");
      await page.getByTestId("palette-entry_condition").click();
      await page.getByTestId("rule-field-0").getByTestId("rule-input").fill("spread crosses above 0");
      // no custom indicator yet: the rule names an unknown word, and its node is marked
      await page.getByTestId("rule-error").waitFor();
      await page.getByTestId("node-issue-entry").waitFor();
      await page.getByTestId("palette-custom_indicator").click();
      await page.getByTestId("node-custom").waitFor();
      await page.getByTestId("custom-name").fill("spread");
      await page.getByTestId("custom-formula").fill("close - wobble");
      await page.getByTestId("custom-error").waitFor();
      await page.getByTestId("node-issue-custom").filter({ hasText: "Node 'custom'" }).waitFor();
      await shot("31-custom-indicator-error");
      await page.getByTestId("custom-formula").fill("close - SMA(50)");
      const ok = await page.getByTestId("custom-ok").textContent();
      check(ok.includes("spread = close - SMA(50)"), `custom indicator echo: "${ok}"`);
      await page.getByTestId("node-issue-custom").waitFor({ state: "detached" });
      check((await page.getByTestId("node-custom").textContent()).includes("spread = close - SMA(50)"), "the node does not show its formula");
      // the entry rule now reads with the node's definition
      await page.getByTestId("node-issue-entry").waitFor({ state: "detached" });
      await page.getByTestId("palette-exit_condition").click();
      await page.getByTestId("rule-field-0").getByTestId("rule-input").fill("spread crosses below 0");
      await page.getByTestId("rule-ok").waitFor();
      await page.getByTestId("select-entry").click();
      const echo = await page.getByTestId("rule-ok").textContent();
      check(echo.includes("spread crosses above 0"), `entry rule echo: "${echo}"`);
      await shot("32-custom-indicator-builder");
      await page.getByTestId("save").click();
      await page.waitForFunction(() => location.hash.startsWith("#/s/strat_"));
      await page.getByTestId("save-state").filter({ hasText: /^Saved$/ }).waitFor();
      const id = decodeURIComponent((await page.evaluate(() => location.hash)).split("/")[2]);
      const saved = await apiGet(`/strategies/${id}`);
      const node = saved.schema.nodes.find((n) => n.type === "custom_indicator");
      check(node && node.meta.name === "spread" && node.meta.formula === "close - SMA(50)", `saved node: ${JSON.stringify(node)}`);
      check(saved.issues.length === 0, `issues: ${JSON.stringify(saved.issues)}`);
      await page.getByTestId("tab-run").click();
      await page.getByTestId("execute").click();
      const { id: runId, status } = await runToEnd(null);
      check(status === "completed", `the custom indicator run ended ${status}`);
      const { trades } = await apiGet(`/executions/${runId}/results`);
      check(trades.length > 0, "the custom indicator run made no trades");
      log(`     custom indicator run: ${trades.length} trades`);
      await page.getByTestId("tab-results").click();
      await page.getByTestId("metric-total_return").waitFor();
      await shot("33-custom-indicator-results");
    });

    await step("no console errors", async () => {
      if (failedLoads.length) log(`     refused requests logged by Chrome (expected): ${failedLoads.length}`);
      check(consoleErrors.length === 0, `console errors:\n${consoleErrors.join("\n")}`);
    }, { setup: true });
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
