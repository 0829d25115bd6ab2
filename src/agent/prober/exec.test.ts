import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExecResult } from '../../runtime/driver.js';
import { execProbe } from './exec.js';

function fakeExec(result: ExecResult | Error) {
  const calls: Array<{ command: string[]; timeoutMs: number }> = [];
  const exec = async (command: string[], timeoutMs: number) => {
    calls.push({ command, timeoutMs });
    if (result instanceof Error) throw result;
    return result;
  };
  return { exec, calls };
}

describe('execProbe', () => {
  it('exit 0 is success; the command and timeout reach the runtime', async () => {
    const { exec, calls } = fakeExec({ exitCode: 0, output: 'fine\n', timedOut: false });
    assert.deepEqual(await execProbe(exec, { type: 'exec', command: ['cat', '/tmp/healthy'] }, 3000), {
      result: 'success',
      output: 'fine',
    });
    assert.deepEqual(calls, [{ command: ['cat', '/tmp/healthy'], timeoutMs: 3000 }]);
  });

  it("a non-zero exit fails with the command's output", async () => {
    const { exec } = fakeExec({
      exitCode: 1,
      output: "cat: can't open '/tmp/healthy': No such file or directory\n",
      timedOut: false,
    });
    assert.deepEqual(await execProbe(exec, { type: 'exec', command: ['cat', '/tmp/healthy'] }, 1000), {
      result: 'failure',
      output: "cat: can't open '/tmp/healthy': No such file or directory",
    });
  });

  it('a timeout fails as kubelet words it', async () => {
    const { exec } = fakeExec({ exitCode: 0, output: '', timedOut: true });
    assert.deepEqual(await execProbe(exec, { type: 'exec', command: ['sh', '-c', 'sleep 10'] }, 1000), {
      result: 'failure',
      output: 'command "sh -c sleep 10" timed out',
    });
  });

  it('a runtime error is not a failure: it propagates (the probe errored)', async () => {
    const { exec } = fakeExec(new Error('container abc is not running'));
    await assert.rejects(
      execProbe(exec, { type: 'exec', command: ['true'] }, 1000),
      /container abc is not running/,
    );
  });
});
