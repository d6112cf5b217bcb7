import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('SIGTERM', () => {
  it('stops accepting, finishes what fits in the deadline, aborts the rest and exits 0', async () => {
    const script = fileURLToPath(new URL('./fixtures/sigterm-server.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, '400'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: any[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (line.ready) setTimeout(() => child.kill('SIGTERM'), 30);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(lines.some((l) => l.stopAccepting)).toBe(true);
    expect(lines.find((l) => l.id === 'short')).toMatchObject({ type: 'finished', reason: 'length', count: 40 });
    const endless = lines.find((l) => l.id === 'endless');
    expect(endless).toMatchObject({ type: 'finished', reason: 'abort' });
    expect(endless.count).toBeGreaterThan(40);
  });
});
