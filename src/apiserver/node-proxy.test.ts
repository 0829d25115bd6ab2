import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { chooseContainer } from './node-proxy.js';

const pod = (containers: string[], inits: string[] = []): Pod => ({
  spec: {
    containers: containers.map((name) => ({ name })),
    ...(inits.length ? { initContainers: inits.map((name) => ({ name })) } : {}),
  },
});

describe('chooseContainer', () => {
  it('defaults to the only container and accepts any named one', () => {
    assert.equal(chooseContainer(pod(['app']), 'p', ''), 'app');
    assert.equal(chooseContainer(pod(['a', 'b'], ['init']), 'p', 'b'), 'b');
    assert.equal(chooseContainer(pod(['a', 'b'], ['init']), 'p', 'init'), 'init');
  });

  it('answers what Kubernetes answers otherwise', () => {
    assert.throws(() => chooseContainer(pod(['a', 'b']), 'p', ''), {
      message: 'a container name must be specified for pod p, choose one of: [a b]',
    });
    assert.throws(() => chooseContainer(pod(['a', 'b'], ['i']), 'p', ''), {
      message:
        'a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i]',
    });
    assert.throws(() => chooseContainer(pod(['a']), 'p', 'z'), {
      message: 'container z is not valid for pod p',
    });
    assert.throws(() => chooseContainer(pod([]), 'p', ''), {
      message: 'the server could not find any containers in pod p',
    });
  });
});
