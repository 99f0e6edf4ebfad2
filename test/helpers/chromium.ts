// Headless Chromium (Debian's `chromium`, installed by test/tools/setup.sh) driven through the DevTools protocol
// over --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-terminated JSON): opens a local file, evaluates an
// expression in the rendered page and takes a full-page screenshot. No network: every host name resolves to
// nothing (--host-resolver-rules) and the background services that would call out are off.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

export interface RenderedPage<T> {
  /** The value of `expression`, evaluated after the load event (returned by value). */
  readonly value: T;
  /** PNG bytes of the whole page. */
  readonly screenshot: Buffer;
}

interface CdpMessage {
  readonly id?: number;
  readonly method?: string;
  readonly sessionId?: string;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly message: string };
  readonly params?: Record<string, unknown>;
}

/** Renders `htmlPath` in headless Chromium; rejects after `timeoutMs` naming the step it was waiting for. */
export async function renderInChromium<T>(
  htmlPath: string,
  expression: string,
  options: { readonly screenshotPath?: string; readonly width?: number; readonly timeoutMs?: number } = {},
): Promise<RenderedPage<T>> {
  const profile = await mkdtemp(join(tmpdir(), 'signet-chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless=new',
      // Root in a container has no user namespace for the sandbox.
      '--no-sandbox',
      '--disable-gpu',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
      `--window-size=${options.width ?? 1280},900`,
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--disable-extensions',
      '--metrics-recording-only',
      '--host-resolver-rules=MAP * ~NOTFOUND',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const pending = new Map<number, { resolve: (m: CdpMessage) => void; reject: (e: Error) => void }>();
  const waiters: { method: string; resolve: () => void }[] = [];
  let buffered = '';
  output.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\0')) !== -1) {
      const message = JSON.parse(buffered.slice(0, end)) as CdpMessage;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined) {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) call?.reject(new Error(`chromium: ${message.error.message}`));
        else call?.resolve(message);
      } else if (message.method !== undefined) {
        for (const waiter of waiters.filter((w) => w.method === message.method)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }
  });
  let nextId = 0;
  const send = (method: string, params: object = {}, sessionId?: string): Promise<CdpMessage> =>
    new Promise((resolve, reject) => {
      nextId += 1;
      pending.set(nextId, { resolve, reject });
      input.write(
        `${JSON.stringify({ id: nextId, method, params, ...(sessionId === undefined ? {} : { sessionId }) })}\0`,
      );
    });
  const event = (method: string) => new Promise<void>((resolve) => waiters.push({ method, resolve }));
  let step = 'starting chromium';
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`chromium: no progress in ${timeoutMs} ms while ${step}\n${stderr}`)),
      timeoutMs,
    );
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`chromium exited (${code}) while ${step}\n${stderr}`))),
  );
  try {
    const run = async (): Promise<RenderedPage<T>> => {
      step = 'creating a page';
      const created = await send('Target.createTarget', { url: 'about:blank' });
      const attached = await send('Target.attachToTarget', {
        targetId: created.result?.targetId,
        flatten: true,
      });
      const session = attached.result?.sessionId as string;
      await send('Page.enable', {}, session);
      step = `loading ${htmlPath}`;
      const loaded = event('Page.loadEventFired');
      await send('Page.navigate', { url: pathToFileURL(htmlPath).href }, session);
      await loaded;
      step = 'evaluating in the page';
      const evaluated = await send('Runtime.evaluate', { expression, returnByValue: true }, session);
      const value = (evaluated.result?.result as { value?: unknown } | undefined)?.value as T;
      step = 'taking the screenshot';
      const shot = await send(
        'Page.captureScreenshot',
        { format: 'png', captureBeyondViewport: true },
        session,
      );
      const data = shot.result?.data;
      const screenshot = Buffer.from(typeof data === 'string' ? data : '', 'base64');
      if (options.screenshotPath !== undefined) await writeFile(options.screenshotPath, screenshot);
      return { value, screenshot };
    };
    return await Promise.race([run(), deadline, exited]);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
    await new Promise((resolve) =>
      child.exitCode === null ? child.once('exit', resolve) : resolve(undefined),
    );
    await rm(profile, { recursive: true, force: true });
  }
}

/** Width and height of a PNG (its IHDR chunk), to check a screenshot without decoding it. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.length < 24 || png.toString('latin1', 1, 4) !== 'PNG') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
