import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isCIDR,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isIP,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPortName,
  isWildcardDNS1123Subdomain,
  nameIsDNSSubdomain,
} from './names.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

type Case = [string, string[]];

function table(name: string, fn: (s: string) => string[], cases: Case[]): void {
  describe(name, () => {
    for (const [input, want] of cases) {
      it(JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input), () =>
        assert.deepEqual(fn(input), want),
      );
    }
  });
}

table('isDNS1123Subdomain', isDNS1123Subdomain, [
  ['example.com', []],
  ['a', []],
  ['my-app-1', []],
  ['My_App', [SUBDOMAIN_MSG]],
  ['-a', [SUBDOMAIN_MSG]],
  ['a.', [SUBDOMAIN_MSG]],
  ['', [SUBDOMAIN_MSG]],
  ['a'.repeat(254), ['must be no more than 253 characters']],
]);

table('isDNS1123Label', isDNS1123Label, [
  ['my-name', []],
  ['123-abc', []],
  ['a.b', ['must not contain dots']],
  ['Abc', [LABEL_MSG]],
  ['a'.repeat(64), ['must be no more than 63 characters']],
]);

table('isDNS1035Label', isDNS1035Label, [
  ['web', []],
  [
    '1web',
    [
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ],
  ],
]);

table('isQualifiedName', isQualifiedName, [
  ['app', []],
  ['example.com/app', []],
  ['app.kubernetes.io/name', []],
  ['MyName', []],
  ['/app', ['prefix part must be non-empty']],
  ['example.com/', ['name part must be non-empty', NAME_PART_MSG]],
  ['Example.com/app', [`prefix part ${SUBDOMAIN_MSG}`]],
  ['-app', [NAME_PART_MSG]],
  ['a'.repeat(64), ['name part must be no more than 63 characters']],
  [
    'a/b/c',
    [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ],
  ],
]);

table('isValidLabelValue', isValidLabelValue, [
  ['', []],
  ['v1.2_3-x', []],
  ['-bad', [LABEL_VALUE_MSG]],
  ['x'.repeat(64), ['must be no more than 63 characters']],
]);

table('isValidPortName', isValidPortName, [
  ['http', []],
  ['web-8080', []],
  ['8080', ['must contain at least one letter (a-z)']],
  [
    'HTTP',
    [
      'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'must contain at least one letter (a-z)',
    ],
  ],
  ['a--b', ['must not contain consecutive hyphens']],
  ['-ab', ['must not begin or end with a hyphen']],
  ['abcdefghijklmnop', ['must be no more than 15 characters']],
]);

table('isConfigMapKey', isConfigMapKey, [
  ['config.yaml', []],
  ['KEY_1', []],
  [
    'a b',
    [
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ],
  ],
  ['..', ["must not be '..'"]],
  ['..a', ["must not start with '..'"]],
]);

table('isRelaxedEnvVarName', isRelaxedEnvVarName, [
  ['PATH', []],
  ['my.env-name', []],
  ['1ABC', []],
  [
    'A=B',
    ["a valid environment variable name must consist only of printable ASCII characters other than '='"],
  ],
  ['', ['environment variable name must be non-empty']],
]);

table('isValidPathSegmentName', isValidPathSegmentName, [
  ['system:admin', []],
  ['.', ["may not be '.'"]],
  ['a/b', ["may not contain '/'"]],
  ['a%b', ["may not contain '%'"]],
]);

table('isWildcardDNS1123Subdomain', isWildcardDNS1123Subdomain, [
  ['*.example.com', []],
  [
    '*',
    [
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
  ],
]);

describe('IP and CIDR', () => {
  const ips: Array<[string, boolean]> = [
    ['10.0.0.1', true],
    ['255.255.255.255', true],
    ['256.1.1.1', false],
    ['01.1.1.1', false],
    ['::1', true],
    ['2001:db8::ffff', true],
    ['fe80::1:2:3:4:5:6', true],
    ['::ffff:10.0.0.1', true],
    ['1:2:3:4:5:6:7:8', true],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1::2::3', false],
    ['hello', false],
    ['', false],
  ];
  for (const [ip, want] of ips) it(`isIP(${ip})`, () => assert.equal(isIP(ip), want));
  const cidrs: Array<[string, boolean]> = [
    ['10.0.0.0/8', true],
    ['10.0.0.0/33', false],
    ['fd00::/64', true],
    ['10.0.0.0', false],
  ];
  for (const [c, want] of cidrs) it(`isCIDR(${c})`, () => assert.equal(isCIDR(c), want));
});

describe('generateName prefixes may end in a dash', () => {
  it('accepts "web-" as a prefix but not as a name', () => {
    assert.deepEqual(nameIsDNSSubdomain('web-', true), []);
    assert.equal(nameIsDNSSubdomain('web-', false).length, 1);
  });
});
