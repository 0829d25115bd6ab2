/**
 * ConfigMap, Secret and ServiceAccount: keys, the 1 MiB size cap, the keys each Secret type
 * requires, and immutability (`immutable: true`, Secret `type`).
 */
import { type FieldError, field } from '../errors.js';
import { isPlainObject } from '../object.js';
import { isConfigMapKey } from './names.js';
import { validateDNS1123Subdomain } from './pod.js';
import { arr, check, child, immutable, index, key, type Obj, rec, semanticEqual, str } from './util.js';

/** core.MaxSecretSize, which also caps ConfigMaps. */
const MAX_SECRET_SIZE = 1024 * 1024;

function base64Length(v: unknown): number {
  const s = str(v).replace(/\s/g, '');
  if (s === '') return 0;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return Math.floor((s.length * 3) / 4) - pad;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function validateConfigMap(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const data = rec(obj.data);
  const binary = rec(obj.binaryData);
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...check(k, key('data', k), isConfigMapKey));
    if (Object.hasOwn(binary, k))
      errs.push(field.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    errs.push(...check(k, key('binaryData', k), isConfigMapKey));
    total += base64Length(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(field.tooLong('', MAX_SECRET_SIZE));
  return errs;
}

function immutableWhenSet(obj: Obj, old: Obj, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true)
    errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!semanticEqual(obj[f], old[f]))
      errs.push(field.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export function validateConfigMapUpdate(obj: Obj, old: Obj): FieldError[] {
  return immutableWhenSet(obj, old, ['data', 'binaryData']);
}

/** The keys each well-known Secret type must carry. */
export function validateSecret(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const data = rec(obj.data);
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...check(k, key('data', k), isConfigMapKey));
    if (typeof v !== 'string' || !BASE64.test(v.replace(/\s/g, ''))) {
      errs.push(
        field.invalid(key('data', k), '<secret contents redacted>', 'must be a base64-encoded string'),
      );
    }
    total += base64Length(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(field.tooLong('data', MAX_SECRET_SIZE));

  const has = (k: string) => Object.hasOwn(data, k);
  const decoded = (k: string) => Buffer.from(str(data[k]), 'base64').toString('utf8');
  const jsonError = (k: string): string | undefined => {
    try {
      const v = JSON.parse(decoded(k));
      return isPlainObject(v) ? undefined : 'must be a JSON object';
    } catch (err) {
      return (err as Error).message;
    }
  };
  switch (str(obj.type)) {
    case 'kubernetes.io/service-account-token':
      if (str(rec(rec(obj.metadata).annotations)['kubernetes.io/service-account.name']) === '') {
        errs.push(field.required(key('metadata.annotations', 'kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = obj.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) {
        errs.push(field.required(key('data', k), ''));
        break;
      }
      const e = jsonError(k);
      if (e) errs.push(field.invalid(key('data', k), '<secret contents redacted>', e));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(field.required(key('data', 'username'), ''));
        errs.push(field.required(key('data', 'password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (base64Length(data['ssh-privatekey']) === 0)
        errs.push(field.required(key('data', 'ssh-privatekey'), ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(field.required(key('data', 'tls.crt'), ''));
      if (!has('tls.key')) errs.push(field.required(key('data', 'tls.key'), ''));
      break;
  }
  return errs;
}

export function validateSecretUpdate(obj: Obj, old: Obj): FieldError[] {
  return [...immutable(obj.type, old.type, 'type'), ...immutableWhenSet(obj, old, ['data'])];
}

export function validateServiceAccount(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  for (const list of ['secrets', 'imagePullSecrets'] as const) {
    arr(obj[list]).forEach((s, i) => {
      const name = str(rec(s).name);
      if (name !== '') errs.push(...validateDNS1123Subdomain(name, child(index(list, i), 'name')));
    });
  }
  return errs;
}
