// Helpers of the browser tests: a fresh depository served on loopback (init, demo data, serve),
// the oorkonde command against it, and chromium through playwright-core.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT = join(HERE, "out");

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export class Depository {
  /* Creates a data folder for 127.0.0.1:PORT with the demo data set and serves it; configure
   * (async, may be absent) runs on the folder just before it is served. */
  static async start(learners = 20, configure = null) {
    const d = new Depository();
    d.tmp = mkdtempSync(join(tmpdir(), "oorkonde-browser-"));
    // A private copy: a rebuild in the shared tree cannot pull the binary away mid-run.
    d.bin = join(d.tmp, "oorkonde");
    copyFileSync(process.env.OORKONDE_BIN, d.bin);
    d.data = join(d.tmp, "data");
    d.port = await freePort();
    d.base = `http://127.0.0.1:${d.port}`;
    d.run("init", "--host", `127.0.0.1:${d.port}`);
    // The tests sign learners in with operators' one-time links, off unless config.json allows.
    const cfg = JSON.parse(readFileSync(join(d.data, "config.json"), "utf8"));
    writeFileSync(join(d.data, "config.json"), JSON.stringify({ ...cfg, allow_login_links: true }));
    const demo = d.run("demo", "--learners", String(learners));
    d.nationalId = demo.match(/--national-id (\S+)/)[1];
    d.achievements = JSON.parse(d.run("achievements", "--national-id", d.nationalId, "--json"));
    d.learnerId = d.achievements[0].learner_id;
    if (configure) await configure(d);
    await d.serve();
    return d;
  }

  run(...args) {
    return execFileSync(this.bin, ["--data", this.data, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  serve() {
    this.proc = spawn(this.bin, ["--data", this.data, "serve", "--quiet", "--listen", `127.0.0.1:${this.port}`], { stdio: ["ignore", "pipe", "pipe"] });
    this.stderr = "";
    this.proc.stderr.on("data", (b) => { this.stderr += b; });
    return new Promise((resolve, reject) => {
      let out = "";
      this.proc.stdout.on("data", (b) => {
        out += b;
        if (out.includes("listening on")) resolve();
      });
      this.proc.once("exit", (code) => reject(new Error(`oorkonde serve exited ${code}: ${this.stderr}`)));
    });
  }

  loginLink(learnerId = this.learnerId) {
    return this.run("learner", "login-link", learnerId).split("\n")[0].trim();
  }

  /* A credential of one of the learner's achievements: "di" (JSON text) or "jwt". */
  issue(achievementId, format = "di") {
    return this.run("issue", achievementId, "--format", format);
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.once("exit", resolve));
      this.proc.kill("SIGTERM");
      await exited;
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

export async function launch() {
  mkdirSync(OUT, { recursive: true });
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium" });
}

/*
 * A page that fails its test on any Content-Security-Policy violation or script error: the
 * pages must work under their strict policy.
 */
export async function newPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) page.problems.push(m.text());
  });
  page.on("pageerror", (e) => page.problems.push(String(e)));
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}
