import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingress } from './fixtures.js';
import { ingressLoadBalancerStatus, ingressStatusDiffers } from './status.js';

describe('ingress status', () => {
  it('lists node addresses, IPv4 first, without duplicates', () => {
    const cases: [string[], unknown[]][] = [
      [[], []],
      [['192.168.1.2'], [{ ip: '192.168.1.2' }]],
      [
        ['fd00::1', '192.168.1.3', '', '192.168.1.2', '192.168.1.3', 'node-a.lan'],
        [{ ip: '192.168.1.2' }, { ip: '192.168.1.3' }, { ip: 'fd00::1' }, { hostname: 'node-a.lan' }],
      ],
    ];
    for (const [addresses, want] of cases) assert.deepEqual(ingressLoadBalancerStatus(addresses), want);
  });

  it('tells whether the Ingress already reports the addresses', () => {
    const desired = ingressLoadBalancerStatus(['10.0.0.1', '10.0.0.2']);
    const ing = ingress('web', [{ service: 'a' }]);
    const withStatus = (lb: unknown[]) => ({ ...ing, status: { loadBalancer: { ingress: lb } } });
    assert.equal(ingressStatusDiffers(ing, desired), true);
    assert.equal(ingressStatusDiffers(withStatus([{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }]), desired), false);
    assert.equal(ingressStatusDiffers(withStatus([{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }]), desired), true);
    assert.equal(ingressStatusDiffers(withStatus([{ ip: '10.0.0.1' }]), desired), true);
    assert.equal(ingressStatusDiffers(withStatus([]), []), false);
  });
});
